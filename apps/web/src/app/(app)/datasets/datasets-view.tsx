"use client";

import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useFormatter, useTranslations } from "next-intl";
import { useDeferredValue, useState } from "react";
import { DataTableHeader } from "~/components/data-table-header";
import { ARCHIVE_ACCEPT, FileDropzone } from "~/components/file-dropzone";
import { Field, Form, MutationFeedback, SubmitButton, TextField } from "~/components/form";
import { LoadMore } from "~/components/load-more";
import { PageHeader } from "~/components/page-header";
import { EmptyState, ErrorState, Loading } from "~/components/query-state";
import { useTeamId } from "~/components/team-context";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Table, TD, TR } from "~/components/ui/table";
import { fileUrls } from "~/lib/file-urls";
import { uploadFile } from "~/lib/upload";
import { useTRPC } from "~/trpc/react";

type Layout = "none" | "classification" | "yolo" | "coco" | "voc";

export function DatasetsView() {
  const t = useTranslations();
  const format = useFormatter();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const deferredSearch = useDeferredValue(search.trim());
  const datasets = useInfiniteQuery(
    trpc.datasets.list.infiniteQueryOptions(
      { teamId, limit: 20, search: deferredSearch || null },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const create = useMutation(
    trpc.datasets.create.mutationOptions({
      onSuccess: async (dataset) => {
        await queryClient.invalidateQueries({ queryKey: trpc.datasets.list.pathKey() });
        router.push(`/datasets/${dataset.id}`);
      },
    }),
  );
  const rows = datasets.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader title={t("datasets.title")} />
      <div className="grid gap-4">
        <Card>
          <CardHeader>
            <CardTitle>{t("datasets.new")}</CardTitle>
          </CardHeader>
          <CardContent>
            <Form
              className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
              onValues={(form) =>
                create.mutate({
                  teamId,
                  name: String(form.get("name") ?? ""),
                  description: String(form.get("description") ?? ""),
                })
              }
            >
              <TextField
                id="dataset-name"
                name="name"
                label={t("datasets.name")}
                required
                maxLength={200}
              />
              <TextField
                id="dataset-description"
                name="description"
                label={t("datasets.description")}
                maxLength={2000}
              />
              <SubmitButton pending={create.isPending}>{t("datasets.create")}</SubmitButton>
            </Form>
            <MutationFeedback error={create.error} className="mt-3" />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>{t("datasets.fromArchive")}</CardTitle>
          </CardHeader>
          <CardContent>
            <FileDropzone<{ dataset: { id: string } }>
              accept={ARCHIVE_ACCEPT}
              label={t("datasets.dropArchive")}
              upload={(file, onProgress) =>
                uploadFile(
                  fileUrls.uploadArchive(teamId, { name: file.name.replace(/\.zip$/i, "") }),
                  file,
                  onProgress,
                )
              }
              onUploaded={() =>
                void queryClient.invalidateQueries({ queryKey: trpc.datasets.list.pathKey() })
              }
            />
          </CardContent>
        </Card>
        <Field htmlFor="dataset-search" label={t("datasets.search")} className="max-w-sm">
          <Input
            id="dataset-search"
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </Field>
        {datasets.isPending ? (
          <Loading />
        ) : datasets.error ? (
          <ErrorState error={datasets.error} onRetry={() => void datasets.refetch()} />
        ) : rows.length === 0 ? (
          <EmptyState>{t("datasets.empty")}</EmptyState>
        ) : (
          <>
            <Table>
              <DataTableHeader
                columns={[
                  t("common.name"),
                  t("datasets.images"),
                  t("datasets.layout"),
                  t("common.created"),
                ]}
              />
              <tbody>
                {rows.map((d) => (
                  <TR key={d.id}>
                    <TD>
                      <Link
                        href={`/datasets/${d.id}`}
                        className="font-medium text-primary hover:underline"
                      >
                        {d.name}
                      </Link>
                      {d.description ? (
                        <span className="block text-xs text-muted-foreground">{d.description}</span>
                      ) : null}
                    </TD>
                    <TD className="tabular-nums">{format.number(d.imageCount)}</TD>
                    <TD>{t(`datasets.layouts.${(d.layout as Layout) ?? "none"}`)}</TD>
                    <TD>{format.dateTime(d.createdAt, { dateStyle: "medium" })}</TD>
                  </TR>
                ))}
              </tbody>
            </Table>
            <LoadMore pages={datasets} label={t("datasets.loadMore")} />
          </>
        )}
      </div>
    </>
  );
}
