"use client";

import { useTranslations } from "next-intl";
import type * as React from "react";
import { useState } from "react";
import { usePanZoom } from "./use-pan-zoom";
import { ZoomToolbar, ZoomViewport } from "./zoom-toolbar";

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * SR comparison: the original is stretched to the result's size and both sit under one
 * transform, so they stay aligned at every zoom. The divider is placed in the viewport, not
 * on the zoomed image, so it stays in view however far one zooms or pans.
 */
export function ZoomCompare({
  before,
  after,
  width,
  height,
}: {
  before: string;
  after: string;
  /** The result's size in pixels (the original is shown at this size too). */
  width: number;
  height: number;
}) {
  const t = useTranslations("result");
  const zoom = usePanZoom({ width, height });
  const [split, setSplit] = useState(0.5);
  const dividerX = split * zoom.viewport.width;
  const image = (src: string, alt: string, testId: string) => (
    <div style={zoom.layerStyle}>
      {/* biome-ignore lint/performance/noImgElement: authorised route handler, no optimisation wanted */}
      <img
        src={src}
        alt={alt}
        data-testid={testId}
        draggable={false}
        className="block size-full max-w-none"
        style={{ imageRendering: zoom.imageRendering }}
      />
    </div>
  );

  const dragDivider = (event: React.PointerEvent<HTMLDivElement>) => {
    if (!event.currentTarget.hasPointerCapture(event.pointerId)) return;
    const viewport = event.currentTarget.parentElement;
    if (!viewport || viewport.clientWidth <= 0) return;
    const left = viewport.getBoundingClientRect().left + viewport.clientLeft;
    setSplit(clamp01((event.clientX - left) / viewport.clientWidth));
  };

  return (
    <div className="grid gap-3">
      <ZoomToolbar zoom={zoom} />
      <ZoomViewport zoom={zoom} testId="compare-viewport">
        {image(before, t("before"), "compare-before")}
        <div className="absolute inset-0" style={{ clipPath: `inset(0 0 0 ${dividerX}px)` }}>
          {image(after, t("after"), "compare-after")}
        </div>
        <div
          role="slider"
          tabIndex={0}
          aria-label={t("divider")}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(split * 100)}
          aria-orientation="horizontal"
          data-testid="compare-divider"
          className="absolute inset-y-0 z-10 w-6 -translate-x-1/2 cursor-ew-resize focus-visible:outline-none [&:focus-visible>span]:ring-2 [&:focus-visible>span]:ring-ring"
          style={{ left: dividerX }}
          onPointerDown={(event) => {
            // The divider moves; the image underneath does not pan.
            event.stopPropagation();
            event.currentTarget.setPointerCapture(event.pointerId);
          }}
          onPointerMove={(event) => {
            event.stopPropagation();
            dragDivider(event);
          }}
          onDoubleClick={(event) => event.stopPropagation()}
          onKeyDown={(event) => {
            const step = event.shiftKey ? 0.2 : 0.05;
            const next =
              event.key === "ArrowLeft" || event.key === "ArrowDown"
                ? split - step
                : event.key === "ArrowRight" || event.key === "ArrowUp"
                  ? split + step
                  : event.key === "Home"
                    ? 0
                    : event.key === "End"
                      ? 1
                      : null;
            if (next === null) return;
            // Arrows move the divider here, not to the previous or next image.
            event.preventDefault();
            event.stopPropagation();
            setSplit(clamp01(next));
          }}
        >
          <span className="absolute inset-y-0 left-1/2 w-0.5 -translate-x-1/2 bg-white shadow-[0_0_0_1px_rgb(0_0_0/0.4)]" />
          <span className="absolute left-1/2 top-1/2 size-6 -translate-x-1/2 -translate-y-1/2 rounded-full border-2 border-white bg-black/50 shadow" />
        </div>
        <span className="pointer-events-none absolute left-2 top-2 rounded bg-black/60 px-2 py-0.5 text-xs text-white">
          {t("before")}
        </span>
        <span className="pointer-events-none absolute right-2 top-2 rounded bg-black/60 px-2 py-0.5 text-xs text-white">
          {t("after")}
        </span>
      </ZoomViewport>
    </div>
  );
}
