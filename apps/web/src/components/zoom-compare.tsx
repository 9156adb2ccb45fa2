"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import { BeforeAfter } from "~/components/before-after";
import { Label } from "~/components/ui/label";
import { Slider } from "~/components/ui/slider";

/**
 * SR comparison: the original is stretched to the result's size so the slider compares the
 * same region; zoom enlarges both inside a scrollable frame.
 */
export function ZoomCompare({ before, after }: { before: string; after: string }) {
  const t = useTranslations("result");
  const [zoom, setZoom] = useState(1);
  return (
    <div className="grid gap-3">
      <div className="flex items-center gap-3">
        <Label id="zoom-label" className="shrink-0">
          {t("zoom")}
        </Label>
        <Slider
          aria-labelledby="zoom-label"
          aria-label={t("zoom")}
          min={1}
          max={8}
          step={0.5}
          value={[zoom]}
          onValueChange={([v]) => setZoom(v ?? 1)}
          className="max-w-xs"
        />
        <output className="w-12 font-mono text-sm">{zoom}×</output>
      </div>
      <div className="max-h-[70vh] overflow-auto rounded-md border border-border">
        <div style={{ width: `${zoom * 100}%` }}>
          <BeforeAfter
            before={before}
            after={after}
            beforeLabel={t("before")}
            afterLabel={t("after")}
          />
        </div>
      </div>
    </div>
  );
}
