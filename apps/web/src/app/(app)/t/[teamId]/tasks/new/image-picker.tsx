"use client";

import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Search } from "lucide-react";
import { useTranslations } from "next-intl";
import { useEffect, useId, useMemo, useState } from "react";
import { FileDropzone, IMAGE_ACCEPT } from "~/components/file-dropzone";
import { LoadMore } from "~/components/load-more";
import { SelectControl } from "~/components/select-field";
import { Input } from "~/components/ui/input";
import { fileUrls } from "~/lib/file-urls";
import { uploadFile } from "~/lib/upload";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";
import type { PreviewImage } from "./preview-panel";
import { dayValue, UPLOAD_PERIODS, type UploadPeriod, uploadRange } from "./upload-date-range";

const PAGE_SIZE = 24;
/** Typing waits this long before the library is searched, so a word is one request. */
const SEARCH_DELAY_MS = 250;

/**
 * Upload new images or tick ones from the library, found by name, dataset and upload date a page
 * at a time (a library of thousands stays quick); the first ticked image is the preview image.
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
  const [period, setPeriod] = useState<UploadPeriod>("any");
  const [fromDay, setFromDay] = useState("");
  const [toDay, setToDay] = useState("");
  const rangeId = useId();
  // Computed when the choice changes, not on every render: "today" is a fixed instant per choice.
  const range = useMemo(
    () => uploadRange(period, new Date(), fromDay, toDay),
    [period, fromDay, toDay],
  );
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
        from: range.ok ? range.from : null,
        to: range.ok ? range.to : null,
      },
      {
        // An empty custom range is said below and not sent.
        enabled: range.ok,
        getNextPageParam: (last) => last.nextCursor ?? undefined,
        // The previous matches stay while the next search runs, so the grid does not flash.
        placeholderData: keepPreviousData,
      },
    ),
  );
  const filtered = search !== "" || datasetId !== "all" || period !== "any";
  const ids = new Set(selected.map((s) => s.id));
  const found = range.ok ? (library.data?.pages.flatMap((p) => p.items) ?? []) : [];
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
        <SelectControl
          ariaLabel={t("uploadedWhen")}
          className="w-full sm:w-44"
          value={period}
          onValueChange={(next) => {
            setPeriod(next);
            // A custom range starts as the last 7 days, ready to adjust.
            if (next === "custom" && !fromDay && !toDay) {
              const now = new Date();
              setFromDay(dayValue(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 6)));
              setToDay(dayValue(now));
            }
          }}
          testId="image-date-filter"
          options={UPLOAD_PERIODS.map((p) => ({ value: p, label: t(`uploaded.${p}`) }))}
        />
      </div>
      {period === "custom" ? (
        <div className="flex flex-wrap items-end gap-2" data-testid="image-date-range">
          <label className="grid gap-1 text-xs text-muted-foreground" htmlFor={`${rangeId}-from`}>
            {t("uploadedFrom")}
            <Input
              id={`${rangeId}-from`}
              type="date"
              className="w-44"
              value={fromDay}
              max={toDay || undefined}
              onChange={(event) => setFromDay(event.target.value)}
              aria-invalid={!range.ok}
            />
          </label>
          <label className="grid gap-1 text-xs text-muted-foreground" htmlFor={`${rangeId}-to`}>
            {t("uploadedTo")}
            <Input
              id={`${rangeId}-to`}
              type="date"
              className="w-44"
              value={toDay}
              min={fromDay || undefined}
              onChange={(event) => setToDay(event.target.value)}
              aria-invalid={!range.ok}
            />
          </label>
        </div>
      ) : null}
      {!range.ok ? (
        <p className="text-sm text-destructive" role="alert" data-testid="image-date-error">
          {t("uploadedRangeEmpty")}
        </p>
      ) : null}
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
