"use client";

import { Download } from "lucide-react";
import { useFormatter, useTranslations } from "next-intl";
import { useEffect, useRef, useState } from "react";
import { SliderField } from "~/components/slider-field";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Tabs, TabsList, TabsTrigger } from "~/components/ui/tabs";
import { loadImage } from "~/lib/load-image";
import { binarize, foregroundShare, overlayPixels } from "~/lib/threshold";
import { usePanZoom } from "./use-pan-zoom";
import { ZoomToolbar, ZoomViewport } from "./zoom-toolbar";

async function loadPixels(url: string): Promise<ImageData> {
  const img = await loadImage(url);
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) throw new Error("Canvas is not available.");
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/**
 * Shows a segmentation result over its original and re-binarises the stored probability map
 * in the browser as the threshold moves, so trying thresholds needs no new model run.
 */
export function SegmentationViewer({
  originalUrl,
  width,
  height,
  probabilityUrl,
  maskUrl,
  initialThreshold = 0.5,
  maskDownloadUrl,
  fileName,
  color = [255, 0, 0],
}: {
  originalUrl: string;
  /** The original's size: the mask and probability map have it too. */
  width: number;
  height: number;
  probabilityUrl: string | null;
  maskUrl: string | null;
  initialThreshold?: number;
  /** The stored result as a download, for results stored without a probability map. */
  maskDownloadUrl: string | null;
  fileName: string;
  color?: [number, number, number];
}) {
  const t = useTranslations("result");
  const format = useFormatter();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [probability, setProbability] = useState<ImageData | null>(null);
  const [loadError, setLoadError] = useState(false);
  const [threshold, setThreshold] = useState(initialThreshold);
  const [opacity, setOpacity] = useState(0.5);
  const [mode, setMode] = useState<"overlay" | "mask">("overlay");
  const zoom = usePanZoom({ width, height });

  useEffect(() => {
    if (!probabilityUrl) return;
    let alive = true;
    loadPixels(probabilityUrl).then(
      (data) => alive && setProbability(data),
      () => alive && setLoadError(true),
    );
    return () => {
      alive = false;
    };
  }, [probabilityUrl]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !probability) return;
    canvas.width = probability.width;
    canvas.height = probability.height;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const pixels =
      mode === "mask"
        ? binarize(probability.data, threshold)
        : overlayPixels(probability.data, threshold, color);
    ctx.putImageData(new ImageData(pixels, probability.width, probability.height), 0, 0);
  }, [probability, threshold, mode, color]);

  function downloadMask() {
    if (!probability) return;
    const canvas = document.createElement("canvas");
    canvas.width = probability.width;
    canvas.height = probability.height;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.putImageData(
      new ImageData(binarize(probability.data, threshold), probability.width, probability.height),
      0,
      0,
    );
    canvas.toBlob((blob) => {
      if (!blob) return;
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `${fileName.replace(/\.[^.]+$/, "")}_mask_t${threshold.toFixed(2)}.png`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }, "image/png");
  }

  const share = probability ? foregroundShare(probability.data, threshold) : null;
  // One download, of the mask at the threshold on screen, made in the browser from the map.
  // Without a stored map the slider cannot move: the stored result is what is shown.
  const storedMaskShown = probabilityUrl === null && maskDownloadUrl !== null;
  const downloadLabel = t("downloadMask", { threshold: threshold.toFixed(2) });

  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_18rem]">
      <div className="grid min-w-0 content-start gap-3">
        <ZoomToolbar zoom={zoom} />
        <ZoomViewport zoom={zoom} testId="segmentation-viewport">
          <div style={zoom.layerStyle}>
            {/* biome-ignore lint/performance/noImgElement: authorised route handler, no optimisation wanted */}
            <img
              src={mode === "overlay" ? originalUrl : (maskUrl ?? originalUrl)}
              alt={t("before")}
              draggable={false}
              className="block size-full max-w-none"
              style={{
                imageRendering: zoom.imageRendering,
                visibility: mode === "mask" && probability ? "hidden" : "visible",
              }}
            />
            {probability ? (
              <canvas
                ref={canvasRef}
                data-testid="mask-canvas"
                aria-label={t(mode)}
                className="absolute inset-0 size-full"
                style={{
                  opacity: mode === "overlay" ? opacity : 1,
                  imageRendering: zoom.imageRendering,
                }}
              />
            ) : null}
          </div>
        </ZoomViewport>
      </div>
      <div className="grid content-start gap-4">
        <Tabs value={mode} onValueChange={(v) => setMode(v as "overlay" | "mask")}>
          <TabsList>
            <TabsTrigger value="overlay">{t("overlay")}</TabsTrigger>
            <TabsTrigger value="mask">{t("mask")}</TabsTrigger>
          </TabsList>
        </Tabs>
        {probabilityUrl ? null : <Alert variant="info">{t("noProbability")}</Alert>}
        {loadError ? <Alert>{t("probabilityLoadFailed")}</Alert> : null}
        <SliderField
          id="threshold"
          label={t("threshold")}
          value={threshold}
          onValueChange={setThreshold}
          min={0.01}
          max={0.99}
          step={0.01}
          disabled={!probability}
          readoutTestId="threshold-value"
          className="gap-2"
        >
          <p className="text-xs text-muted-foreground">{t("thresholdHint")}</p>
          {share !== null ? (
            <p className="text-sm" data-testid="foreground-share">
              {t("foreground", {
                percent: format.number(share, { style: "percent", maximumFractionDigits: 1 }),
              })}
            </p>
          ) : null}
        </SliderField>
        {mode === "overlay" ? (
          <SliderField
            id="opacity"
            label={t("opacity")}
            value={opacity}
            onValueChange={setOpacity}
            min={0}
            max={1}
            step={0.05}
            readout={false}
            className="gap-2"
          />
        ) : null}
        <div className="grid gap-1">
          {storedMaskShown ? (
            <Button asChild variant="outline">
              <a href={maskDownloadUrl} download data-testid="download-mask">
                <Download aria-hidden />
                {downloadLabel}
              </a>
            </Button>
          ) : (
            <Button
              onClick={downloadMask}
              disabled={!probability}
              variant="outline"
              data-testid="download-mask"
            >
              <Download aria-hidden />
              {downloadLabel}
            </Button>
          )}
          <p className="text-xs text-muted-foreground">{t("downloadMaskHint")}</p>
        </div>
      </div>
    </div>
  );
}
