"use client";

import { Maximize, ZoomIn, ZoomOut } from "lucide-react";
import { useFormatter, useTranslations } from "next-intl";
import type * as React from "react";
import { Button } from "~/components/ui/button";
import type { PanZoom } from "./use-pan-zoom";

/** Zoom out / in, fit, 1:1 and the zoom level, over a pan-and-zoom viewer. */
export function ZoomToolbar({ zoom, children }: { zoom: PanZoom; children?: React.ReactNode }) {
  const t = useTranslations("result");
  const format = useFormatter();
  return (
    <div className="flex flex-wrap items-center gap-2">
      <Button size="sm" variant="outline" onClick={zoom.zoomOut} aria-label={t("zoomOut")}>
        <ZoomOut aria-hidden />
      </Button>
      <output
        data-testid="zoom-level"
        aria-label={t("zoom")}
        className="w-14 text-center font-mono text-sm tabular-nums"
      >
        {format.number(zoom.view.scale, { style: "percent", maximumFractionDigits: 0 })}
      </output>
      <Button size="sm" variant="outline" onClick={zoom.zoomIn} aria-label={t("zoomIn")}>
        <ZoomIn aria-hidden />
      </Button>
      <Button size="sm" variant="outline" onClick={zoom.fit} aria-pressed={zoom.fitted}>
        <Maximize aria-hidden />
        {t("fit")}
      </Button>
      <Button size="sm" variant="outline" onClick={zoom.actualSize}>
        {t("actualSize")}
      </Button>
      {children}
      <p className="hidden text-xs text-muted-foreground md:block">{t("zoomHint")}</p>
    </div>
  );
}

/** The window a pan-and-zoom viewer is seen through: wheel, pinch and drag land here. */
export function ZoomViewport({
  zoom,
  testId,
  children,
}: {
  zoom: PanZoom;
  testId: string;
  children: React.ReactNode;
}) {
  return (
    <div
      ref={zoom.viewportRef}
      data-testid={testId}
      className="checkerboard relative h-[min(70vh,48rem)] min-h-64 cursor-grab touch-none select-none overflow-hidden rounded-md border border-border active:cursor-grabbing"
      {...zoom.handlers}
    >
      {children}
    </div>
  );
}
