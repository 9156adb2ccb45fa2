"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { Play, Trash2 } from "lucide-react";
import { ConfirmButton } from "~/components/confirm-button";
import { FileDropzone } from "~/components/file-dropzone";
import { MutationFeedback } from "~/components/form";
import { LinkButton } from "~/components/link-buttons";
import { PageHeader } from "~/components/page-header";
import { QueryFallback } from "~/components/query-state";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Card, CardContent } from "~/components/ui/card";
import { fileUrls } from "~/lib/file-urls";
import { formatBytes } from "~/lib/format";
import { routes } from "~/lib/routes";
import { uploadFile } from "~/lib/upload";
import { useTeamPage } from "~/lib/use-team-page";
import { DatasetCharts } from "./dataset-charts";
import { DatasetGallery } from "./dataset-gallery";

const isZip = (file: File) => /\.zip$/i.test(file.name) || file.type.includes("zip");

export function DatasetDetail({ datasetId }: { datasetId: string }) {
  const { t, format, locale, trpc, teamId, router, queryClient } = useTeamPage();
  const dataset = useQuery(trpc.datasets.get.queryOptions({ teamId, datasetId }));
  const stats = useQuery(trpc.datasets.stats.queryOptions({ teamId, datasetId }));
  const remove = useMutation(
    trpc.datasets.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.datasets.list.pathKey() });
        router.push(routes.datasets(teamId));
      },
    }),
  );
  // Uploads finish one by one; refresh counts and gallery after each.
  const refresh = () => {
    void queryClient.invalidateQueries({
      queryKey: trpc.datasets.stats.queryKey({ teamId, datasetId }),
    });
    void queryClient.invalidateQueries({
      queryKey: trpc.datasets.get.queryKey({ teamId, datasetId }),
    });
    void queryClient.invalidateQueries({ queryKey: trpc.images.list.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.datasets.images.pathKey() });
  };

  if (dataset.isPending || dataset.error) return <QueryFallback query={dataset} />;
  const d = dataset.data;
  const ignored = d.layoutReport.ignored;
  // Ground truth that came with the archive (masks, COCO segmentations, LR/HR pairs): tasks on
  // this dataset get quality scores against it.
  const references = d.layoutReport.references as
    | { kind: "mask" | "coco" | "high_resolution"; images: number }
    | null
    | undefined;

  return (
    <>
      <PageHeader
        title={d.name}
        description={d.description || undefined}
        actions={
          <>
            <LinkButton
              disabled={d.imageCount === 0}
              href={routes.newTask(teamId, { datasetId: d.id })}
            >
              <Play aria-hidden />
              {t("tasks.new")}
            </LinkButton>
            <ConfirmButton
              variant="outline"
              confirmation={t("datasets.confirmDelete")}
              onConfirm={() => remove.mutate({ teamId, datasetId, withImages: true })}
            >
              <Trash2 aria-hidden />
              {t("datasets.delete")}
            </ConfirmButton>
          </>
        }
      />
      <MutationFeedback error={remove.error} className="mb-4" />
      <div className="grid gap-4">
        <Card>
          <CardContent className="flex flex-wrap gap-x-8 gap-y-2 pt-5 text-sm">
            <span>
              {t("datasets.images")}:{" "}
              <strong data-testid="dataset-count">
                {format.number(stats.data?.imageCount ?? d.imageCount)}
              </strong>
            </span>
            <span>
              {t("datasets.totalSize")}:{" "}
              <strong>{formatBytes(stats.data?.totalBytes ?? 0, locale)}</strong>
            </span>
            <span>
              {t("datasets.recognised")}: <strong>{t(`datasets.layouts.${d.layout}`)}</strong>
            </span>
            {references ? (
              <span data-testid="dataset-references">
                {t("scores.references")}:{" "}
                <strong>
                  {t("scores.referencesFound", {
                    kind: references.kind,
                    images: references.images,
                  })}
                </strong>
              </span>
            ) : null}
            {stats.data?.width ? (
              <span>
                {t("datasets.dimensions")}: {stats.data.width.min}–{stats.data.width.max} ×{" "}
                {stats.data.height?.min}–{stats.data.height?.max}
              </span>
            ) : null}
          </CardContent>
        </Card>
        <TitledCard title={t("datasets.addImages")}>
          <FileDropzone<unknown>
            upload={(file, onProgress) =>
              uploadFile(
                isZip(file)
                  ? fileUrls.uploadArchive(teamId, { datasetId })
                  : fileUrls.uploadImage(teamId, file.name, datasetId),
                file,
                onProgress,
              )
            }
            onUploaded={refresh}
          />
        </TitledCard>
        {stats.data && stats.data.imageCount > 0 ? <DatasetCharts stats={stats.data} /> : null}
        {Array.isArray(ignored) && ignored.length > 0 ? (
          <Alert variant="info">
            {t("datasets.ignored")}: {ignored.length}
          </Alert>
        ) : null}
        <TitledCard title={t("datasets.gallery")}>
          <DatasetGallery
            datasetId={datasetId}
            imageCount={stats.data?.imageCount ?? d.imageCount}
            onChanged={refresh}
          />
        </TitledCard>
      </div>
    </>
  );
}
