"use client";

import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";
import { DataTable } from "~/components/data-table";
import { ARCHIVE_ACCEPT, FileDropzone } from "~/components/file-dropzone";
import {
  Field,
  Form,
  formText,
  MutationFeedback,
  SubmitButton,
  TextField,
} from "~/components/form";
import { PagedQueryView } from "~/components/load-more";
import { PageHeader } from "~/components/page-header";
import { EmptyState } from "~/components/query-state";
import { NameLink } from "~/components/text-link";
import { TitledCard } from "~/components/titled-card";
import { Input } from "~/components/ui/input";
import { TD, TR } from "~/components/ui/table";
import { fileUrls } from "~/lib/file-urls";
import { routes } from "~/lib/routes";
import { uploadFile } from "~/lib/upload";
import { useTeamPage } from "~/lib/use-team-page";

export function DatasetsView() {
  const { t, format, trpc, teamId, router, queryClient } = useTeamPage();
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
        router.push(routes.dataset(teamId, dataset.id));
      },
    }),
  );
  const rows = datasets.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader title={t("datasets.title")} />
      <div className="grid gap-4">
        <TitledCard title={t("datasets.new")}>
          <Form
            className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
            onValues={(form) =>
              create.mutate({
                teamId,
                name: formText(form, "name"),
                description: formText(form, "description"),
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
        </TitledCard>
        <TitledCard title={t("datasets.fromArchive")}>
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
        </TitledCard>
        <Field htmlFor="dataset-search" label={t("datasets.search")} className="max-w-sm">
          <Input
            id="dataset-search"
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </Field>
        <PagedQueryView
          query={datasets}
          items={rows}
          empty={<EmptyState>{t("datasets.empty")}</EmptyState>}
          loadMoreLabel={t("datasets.loadMore")}
        >
          <DataTable
            columns={[
              t("common.name"),
              t("datasets.images"),
              t("datasets.layout"),
              t("common.created"),
            ]}
          >
            {rows.map((d) => (
              <TR key={d.id}>
                <TD>
                  <NameLink href={routes.dataset(teamId, d.id)}>{d.name}</NameLink>
                  {d.description ? (
                    <span className="block text-xs text-muted-foreground">{d.description}</span>
                  ) : null}
                </TD>
                <TD className="tabular-nums">{format.number(d.imageCount)}</TD>
                <TD>{t(`datasets.layouts.${d.layout}`)}</TD>
                <TD>{format.dateTime(d.createdAt, { dateStyle: "medium" })}</TD>
              </TR>
            ))}
          </DataTable>
        </PagedQueryView>
      </div>
    </>
  );
}
