"use client";

import { useInfiniteQuery, useMutation, useQuery } from "@tanstack/react-query";
import { Play, Trash2 } from "lucide-react";
import { ConfirmButton } from "~/components/confirm-button";
import { FileDropzone } from "~/components/file-dropzone";
import { MutationFeedback } from "~/components/form";
import { LinkButton } from "~/components/link-buttons";
import { PagedQueryView } from "~/components/load-more";
import { PageHeader } from "~/components/page-header";
import { EmptyState, QueryFallback } from "~/components/query-state";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Card, CardContent } from "~/components/ui/card";
import { fileUrls } from "~/lib/file-urls";
import { formatBytes } from "~/lib/format";
import { routes } from "~/lib/routes";
import { uploadFile } from "~/lib/upload";
import { useTeamPage } from "~/lib/use-team-page";
import { DatasetCharts } from "./dataset-charts";

const isZip = (file: File) => /\.zip$/i.test(file.name) || file.type.includes("zip");

export function DatasetDetail({ datasetId }: { datasetId: string }) {
  const { t, format, locale, trpc, teamId, router, queryClient } = useTeamPage();
  const dataset = useQuery(trpc.datasets.get.queryOptions({ teamId, datasetId }));
  const stats = useQuery(trpc.datasets.stats.queryOptions({ teamId, datasetId }));
  const images = useInfiniteQuery(
    trpc.images.list.infiniteQueryOptions(
      { teamId, datasetId, limit: 24 },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
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
  };

  if (dataset.isPending || dataset.error) return <QueryFallback query={dataset} />;
  const d = dataset.data;
  const ignored = d.layoutReport.ignored;
  const gallery = images.data?.pages.flatMap((p) => p.items) ?? [];

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
          <PagedQueryView
            query={images}
            items={gallery}
            empty={<EmptyState>{t("datasets.empty")}</EmptyState>}
            loadMoreLabel={t("datasets.loadMore")}
            loadMoreClassName="mt-3"
          >
            <ul
              className="grid grid-cols-3 gap-2 sm:grid-cols-4 md:grid-cols-6 xl:grid-cols-8"
              data-testid="gallery"
            >
              {gallery.map((image) => (
                <li
                  key={image.id}
                  className="overflow-hidden rounded-md border border-border checkerboard"
                >
                  {/* biome-ignore lint/performance/noImgElement: authorised route; lazy loading keeps paging cheap */}
                  <img
                    src={fileUrls.rendition(teamId, image.id, "thumb")}
                    alt={image.originalName}
                    width={image.width}
                    height={image.height}
                    loading="lazy"
                    decoding="async"
                    className="aspect-square w-full object-cover"
                  />
                  <span
                    className="block truncate px-1 py-0.5 text-[11px]"
                    title={image.originalName}
                  >
                    {image.originalName}
                  </span>
                  <span className="block px-1 pb-1 text-[10px] text-muted-foreground">
                    {image.width}×{image.height} · {image.format}
                  </span>
                </li>
              ))}
            </ul>
          </PagedQueryView>
        </TitledCard>
      </div>
    </>
  );
}
