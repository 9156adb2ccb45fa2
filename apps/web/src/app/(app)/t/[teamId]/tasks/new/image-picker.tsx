"use client";

import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Search } from "lucide-react";
import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { FileDropzone, IMAGE_ACCEPT } from "~/components/file-dropzone";
import { LoadMore } from "~/components/load-more";
import { SelectControl } from "~/components/select-field";
import { Input } from "~/components/ui/input";
import { fileUrls } from "~/lib/file-urls";
import { uploadFile } from "~/lib/upload";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";
import type { PreviewImage } from "./preview-panel";

const PAGE_SIZE = 24;
/** Typing waits this long before the library is searched, so a word is one request. */
const SEARCH_DELAY_MS = 250;

/**
 * Upload new images or tick ones from the library, found by name and dataset a page at a time
 * (a library of thousands stays quick); the first ticked image is the preview image.
 */
export function ImagePicker({
  teamId,
  selected,
  onToggle,
  onUploaded,
}: {
  teamId: string;
  selected: PreviewImage[];
  onToggle: (image: PreviewImage) => void;
  onUploaded: (image: PreviewImage) => void;
}) {
  const t = useTranslations("newTask");
  const trpc = useTRPC();
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  const [datasetId, setDatasetId] = useState<string>("all");
  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed]);
  const datasets = useQuery(trpc.datasets.list.queryOptions({ teamId, limit: 100 }));
  const library = useInfiniteQuery(
    trpc.images.list.infiniteQueryOptions(
      {
        teamId,
        limit: PAGE_SIZE,
        search: search || null,
        datasetId: datasetId === "all" ? null : datasetId,
      },
      {
        getNextPageParam: (last) => last.nextCursor ?? undefined,
        // The previous matches stay while the next search runs, so the grid does not flash.
        placeholderData: keepPreviousData,
      },
    ),
  );
  const filtered = search !== "" || datasetId !== "all";
  const ids = new Set(selected.map((s) => s.id));
  const found = library.data?.pages.flatMap((p) => p.items) ?? [];
  // Unfiltered: the selection (new uploads included) first, then the library not already
  // listed. Filtered: the matches only, ticked where selected.
  const shown = filtered ? found : [...selected, ...found.filter((i) => !ids.has(i.id))];

  return (
    <div className="grid gap-3">
      <FileDropzone<{ image: PreviewImage }>
        accept={IMAGE_ACCEPT}
        upload={(file, onProgress) =>
          uploadFile(fileUrls.uploadImage(teamId, file.name), file, onProgress)
        }
        onUploaded={(result) => {
          onUploaded(result.image);
          void library.refetch();
        }}
      />
      <div className="flex flex-wrap gap-2">
        <div className="relative min-w-48 flex-1">
          <Search
            aria-hidden
            className="pointer-events-none absolute left-2.5 top-1/2 size-4 -translate-y-1/2 text-muted-foreground"
          />
          <Input
            type="search"
            className="pl-8"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            placeholder={t("search")}
            aria-label={t("search")}
            maxLength={200}
            data-testid="image-search"
          />
        </div>
        {(datasets.data?.items.length ?? 0) > 0 ? (
          <SelectControl
            ariaLabel={t("filterDataset")}
            className="w-full sm:w-56"
            value={datasetId}
            onValueChange={setDatasetId}
            testId="image-dataset-filter"
            options={[
              { value: "all", label: t("allImages") },
              ...(datasets.data?.items ?? []).map((d) => ({ value: d.id, label: d.name })),
            ]}
          />
        ) : null}
      </div>
      {filtered && library.isSuccess && found.length === 0 ? (
        <p className="text-sm text-muted-foreground">{t("noMatches")}</p>
      ) : null}
      {shown.length > 0 ? (
        <ul
          className="grid grid-cols-3 gap-2 sm:grid-cols-4 lg:grid-cols-6"
          aria-label={t("source")}
        >
          {shown.map((image) => {
            const on = ids.has(image.id);
            return (
              <li key={image.id} data-testid="picker-image">
                <label
                  className={cn(
                    "group relative block cursor-pointer overflow-hidden rounded-md border-2 checkerboard",
                    on ? "border-primary" : "border-transparent",
                  )}
                >
                  <input
                    type="checkbox"
                    className="absolute left-1.5 top-1.5 size-4 accent-[var(--color-primary)]"
                    checked={on}
                    onChange={() => onToggle(image)}
                    aria-label={image.originalName}
                  />
                  {/* biome-ignore lint/performance/noImgElement: authorised route handler */}
                  <img
                    src={fileUrls.rendition(teamId, image.id, "thumb")}
                    alt=""
                    width={image.width}
                    height={image.height}
                    loading="lazy"
                    decoding="async"
                    className="aspect-square w-full object-cover"
                  />
                  <span className="block truncate bg-background/90 px-1 py-0.5 text-[11px]">
                    {image.originalName}
                  </span>
                </label>
              </li>
            );
          })}
        </ul>
      ) : null}
      <LoadMore pages={library} label={t("loadMore")} />
      <p className="text-sm text-muted-foreground" aria-live="polite">
        {t("selected", { count: selected.length })}
      </p>
    </div>
  );
}
