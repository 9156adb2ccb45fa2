"use client";

import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { ChevronLeft, ChevronRight, Download, Trash2 } from "lucide-react";
import { useState } from "react";
import { ConfirmButton } from "~/components/confirm-button";
import { MutationFeedback } from "~/components/form";
import { PagedQueryView } from "~/components/load-more";
import { EmptyState } from "~/components/query-state";
import { Button } from "~/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "~/components/ui/dialog";
import { fileUrls } from "~/lib/file-urls";
import { formatBytes } from "~/lib/format";
import { useTeamPage } from "~/lib/use-team-page";

const PAGE_SIZE = 24;

/**
 * The dataset's images in path order, a page at a time. A thumbnail opens the image large with its
 * name, size and labels, previous / next through the dataset, and the removal of the image from
 * this dataset (the library keeps it).
 */
export function DatasetGallery({
  datasetId,
  imageCount,
  onChanged,
}: {
  datasetId: string;
  /** All images of the dataset, for "3 of 120" (the gallery holds the pages fetched so far). */
  imageCount: number;
  /** After a removal: the page refreshes counts and charts. */
  onChanged: () => void;
}) {
  const { t, format, locale, trpc, teamId, queryClient } = useTeamPage();
  const images = useInfiniteQuery(
    trpc.datasets.images.infiniteQueryOptions(
      { teamId, datasetId, limit: PAGE_SIZE },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const gallery = images.data?.pages.flatMap((p) => p.items) ?? [];
  const [open, setOpen] = useState<number | null>(null);
  const current = open === null ? undefined : gallery[open];
  const remove = useMutation(
    trpc.datasets.removeImages.mutationOptions({
      onSuccess: async () => {
        onChanged();
        await queryClient.invalidateQueries({ queryKey: trpc.datasets.images.pathKey() });
        // The next image takes the removed one's place; past the last one, the previous.
        setOpen((index) => {
          const left = gallery.length - 1;
          if (index === null || left === 0) return null;
          return Math.min(index, left - 1);
        });
      },
    }),
  );

  async function step(by: -1 | 1) {
    if (open === null) return;
    const next = open + by;
    if (next < 0) return;
    if (next >= gallery.length) {
      if (!images.hasNextPage) return;
      await images.fetchNextPage();
    }
    setOpen(next);
  }
  const hasNext = open !== null && (open < gallery.length - 1 || images.hasNextPage);

  return (
    <>
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
          {gallery.map((entry, index) => (
            <li
              key={entry.id}
              className="overflow-hidden rounded-md border border-border checkerboard"
            >
              <button
                type="button"
                className="block w-full text-left focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                onClick={() => {
                  remove.reset();
                  setOpen(index);
                }}
                aria-label={t("datasets.openImage", { name: entry.image.originalName })}
                data-testid="gallery-image"
              >
                {/* biome-ignore lint/performance/noImgElement: authorised route; lazy loading keeps paging cheap */}
                <img
                  src={fileUrls.rendition(teamId, entry.image.id, "thumb")}
                  alt={entry.image.originalName}
                  width={entry.image.width}
                  height={entry.image.height}
                  loading="lazy"
                  decoding="async"
                  className="aspect-square w-full object-cover"
                />
                <span
                  className="block truncate bg-background/90 px-1 py-0.5 text-[11px]"
                  title={entry.image.originalName}
                >
                  {entry.image.originalName}
                </span>
                <span className="block bg-background/90 px-1 pb-1 text-[10px] text-muted-foreground">
                  {entry.image.width}×{entry.image.height} · {entry.image.format}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </PagedQueryView>

      <Dialog open={current !== undefined} onOpenChange={(next) => !next && setOpen(null)}>
        {current ? (
          <DialogContent
            closeLabel={t("common.close")}
            className="max-w-4xl"
            data-testid="dataset-image-dialog"
            onKeyDown={(event) => {
              if (event.target instanceof HTMLElement && event.target.closest("[role=alertdialog]"))
                return;
              if (event.key === "ArrowLeft") void step(-1);
              if (event.key === "ArrowRight") void step(1);
            }}
          >
            <DialogTitle className="break-all pr-8" data-testid="dataset-image-name">
              {current.image.originalName}
            </DialogTitle>
            <DialogDescription>
              {t("datasets.imagePosition", {
                index: (open ?? 0) + 1,
                count: Math.max(imageCount, gallery.length),
              })}
            </DialogDescription>
            <div className="flex justify-center rounded-md checkerboard">
              {/* biome-ignore lint/performance/noImgElement: authorised route handler */}
              <img
                key={current.image.id}
                src={fileUrls.rendition(teamId, current.image.id, "display")}
                alt={current.image.originalName}
                width={current.image.width}
                height={current.image.height}
                className="max-h-[55vh] w-auto max-w-full object-contain"
                data-testid="dataset-image-large"
              />
            </div>
            <dl
              className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm"
              data-testid="dataset-image-facts"
            >
              <dt className="text-muted-foreground">{t("datasets.imageSize")}</dt>
              <dd>
                {current.image.width}×{current.image.height} px ·{" "}
                {current.image.format.toUpperCase()} ·{" "}
                {formatBytes(current.image.sizeBytes, locale)}
              </dd>
              <dt className="text-muted-foreground">{t("datasets.imagePath")}</dt>
              <dd className="break-all">{current.relativePath}</dd>
              <dt className="text-muted-foreground">{t("datasets.imageLabel")}</dt>
              <dd data-testid="dataset-image-label">
                {current.label ?? t("datasets.imageNoLabel")}
              </dd>
              {current.annotations?.boxes?.length ? (
                <>
                  <dt className="text-muted-foreground">{t("datasets.imageBoxes")}</dt>
                  <dd>{boxSummary(current.annotations.boxes, format.number)}</dd>
                </>
              ) : null}
            </dl>
            <MutationFeedback error={remove.error} />
            <div className="flex flex-wrap items-center justify-between gap-2">
              <div className="flex gap-2">
                <Button
                  variant="outline"
                  onClick={() => void step(-1)}
                  disabled={open === 0}
                  data-testid="dataset-image-previous"
                >
                  <ChevronLeft aria-hidden />
                  {t("common.previous")}
                </Button>
                <Button
                  variant="outline"
                  onClick={() => void step(1)}
                  disabled={!hasNext || images.isFetchingNextPage}
                  data-testid="dataset-image-next"
                >
                  {t("common.next")}
                  <ChevronRight aria-hidden />
                </Button>
              </div>
              <div className="flex flex-wrap gap-2">
                <Button variant="outline" asChild>
                  <a href={fileUrls.image(teamId, current.image.id, false)} download>
                    <Download aria-hidden />
                    {t("datasets.downloadOriginal")}
                  </a>
                </Button>
                <ConfirmButton
                  variant="outline"
                  disabled={remove.isPending}
                  confirmation={t("datasets.removeImageTitle", {
                    name: current.image.originalName,
                  })}
                  description={t("datasets.removeImageDescription")}
                  confirmLabel={t("datasets.removeImage")}
                  onConfirm={() =>
                    remove.mutate({ teamId, datasetId, imageIds: [current.image.id] })
                  }
                  data-testid="dataset-image-remove"
                >
                  <Trash2 aria-hidden />
                  {t("datasets.removeImage")}
                </ConfirmButton>
              </div>
            </div>
          </DialogContent>
        ) : null}
      </Dialog>
    </>
  );
}

/** "3 (cat ×2, dog)": how many boxes and their labels. */
function boxSummary(boxes: unknown[], number: (n: number) => string): string {
  const counts = new Map<string, number>();
  for (const box of boxes) {
    const label = (box as { label?: unknown } | null)?.label;
    const key = typeof label === "string" && label ? label : "?";
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts].map(([label, n]) => (n > 1 ? `${label} ×${number(n)}` : label));
  return `${number(boxes.length)} (${parts.join(", ")})`;
}
