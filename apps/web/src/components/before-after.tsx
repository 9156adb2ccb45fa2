"use client";

import { ReactCompareSlider, ReactCompareSliderImage } from "react-compare-slider";
import { cn } from "~/lib/utils";

/**
 * Before/after comparison with a draggable (and keyboard-operable) divider. Pixelated
 * rendering keeps single pixels visible when zoomed, which is what one compares in SR.
 */
export function BeforeAfter({
  before,
  after,
  beforeLabel,
  afterLabel,
  className,
  pixelated = true,
}: {
  before: string;
  after: string;
  beforeLabel: string;
  afterLabel: string;
  className?: string;
  pixelated?: boolean;
}) {
  const style = { imageRendering: pixelated ? "pixelated" : "auto", objectFit: "contain" } as const;
  return (
    <div
      className={cn(
        "relative overflow-hidden rounded-md border border-border checkerboard",
        className,
      )}
    >
      <ReactCompareSlider
        itemOne={<ReactCompareSliderImage src={before} alt={beforeLabel} style={style} />}
        itemTwo={<ReactCompareSliderImage src={after} alt={afterLabel} style={style} />}
        style={{ width: "100%", height: "100%" }}
      />
      <span className="pointer-events-none absolute left-2 top-2 rounded bg-black/60 px-2 py-0.5 text-xs text-white">
        {beforeLabel}
      </span>
      <span className="pointer-events-none absolute right-2 top-2 rounded bg-black/60 px-2 py-0.5 text-xs text-white">
        {afterLabel}
      </span>
    </div>
  );
}
