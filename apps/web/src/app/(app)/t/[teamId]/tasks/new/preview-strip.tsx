"use client";

import { Eye, Loader2 } from "lucide-react";
import { useTranslations } from "next-intl";
import { Button } from "~/components/ui/button";
import type { ShownPreview } from "./preview-panel";

/** The id of the full preview card, which the strip's button scrolls to. */
export const PREVIEW_CARD_ID = "preview-card";

/**
 * Below the wide layout the full preview sits under all the parameters, out of sight while
 * they are tuned. This strip sticks to the top of the parameters instead: the latest before
 * and after (or the top label) and whether a new preview is computing.
 */
export function PreviewStrip({
  preview,
  busy,
  stale,
}: {
  preview: ShownPreview | null;
  busy: boolean;
  /** The shown preview was made with other settings than the form's. */
  stale: boolean;
}) {
  const t = useTranslations("newTask");
  const top = preview?.labels?.[0];
  return (
    <div
      data-testid="preview-strip"
      className="sticky top-14 z-30 -mx-1 mb-3 flex items-center gap-3 rounded-md border border-border bg-background/95 p-2 shadow-sm backdrop-blur md:top-2 lg:hidden"
    >
      {preview && !top ? (
        <div className="flex shrink-0 gap-1">
          {/* biome-ignore lint/performance/noImgElement: a data URL of the preview crop */}
          <img
            src={preview.before}
            alt={t("before")}
            className="size-16 rounded object-cover [image-rendering:pixelated]"
          />
          {/* biome-ignore lint/performance/noImgElement: a data URL of the preview result */}
          <img
            src={preview.after}
            alt={t("after")}
            className="size-16 rounded object-cover checkerboard"
          />
        </div>
      ) : null}
      <div className="grid min-w-0 flex-1 gap-0.5 text-xs">
        {top ? (
          <span className="truncate font-medium">
            {top.label} · {top.score.toFixed(3)}
          </span>
        ) : null}
        <span className="flex items-center gap-1 text-muted-foreground" role="status">
          {busy ? <Loader2 className="size-3 shrink-0 animate-spin" aria-hidden /> : null}
          {busy
            ? t("previewing")
            : preview
              ? stale
                ? t("stripStale")
                : t("stripCurrent")
              : t("stripNone")}
        </span>
      </div>
      <Button
        type="button"
        size="sm"
        variant="outline"
        onClick={() =>
          document
            .getElementById(PREVIEW_CARD_ID)
            ?.scrollIntoView({ behavior: "smooth", block: "start" })
        }
      >
        <Eye aria-hidden />
        {t("stripShow")}
      </Button>
    </div>
  );
}
