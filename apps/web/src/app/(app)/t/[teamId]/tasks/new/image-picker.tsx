"use client";

import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { FileDropzone, IMAGE_ACCEPT } from "~/components/file-dropzone";
import { fileUrls } from "~/lib/file-urls";
import { uploadFile } from "~/lib/upload";
import { cn } from "~/lib/utils";
import { useTRPC } from "~/trpc/react";
import type { PreviewImage } from "./preview-panel";

/** Upload new images or tick recent ones; the first ticked image is the preview image. */
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
  const recent = useQuery(trpc.images.list.queryOptions({ teamId, limit: 24 }));
  const ids = new Set(selected.map((s) => s.id));
  // Newly uploaded images first, then recent ones not already listed.
  const shown = [...selected, ...(recent.data?.items ?? []).filter((i) => !ids.has(i.id))];

  return (
    <div className="grid gap-3">
      <FileDropzone<{ image: PreviewImage }>
        accept={IMAGE_ACCEPT}
        upload={(file, onProgress) =>
          uploadFile(fileUrls.uploadImage(teamId, file.name), file, onProgress)
        }
        onUploaded={(result) => {
          onUploaded(result.image);
          void recent.refetch();
        }}
      />
      {shown.length > 0 ? (
        <ul
          className="grid grid-cols-3 gap-2 sm:grid-cols-4 lg:grid-cols-6"
          aria-label={t("source")}
        >
          {shown.map((image) => {
            const on = ids.has(image.id);
            return (
              <li key={image.id}>
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
      <p className="text-sm text-muted-foreground" aria-live="polite">
        {t("selected", { count: selected.length })}
      </p>
    </div>
  );
}
