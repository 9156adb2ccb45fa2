"use client";

import type { TaskKind } from "@studio/contracts/task";
import { Loader2, RotateCcw } from "lucide-react";
import { useLocale, useTranslations } from "next-intl";
import { useCallback, useEffect, useRef, useState } from "react";
import { BeforeAfter } from "~/components/before-after";
import { ClassificationChart } from "~/components/classification-chart";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { useErrorMessage } from "~/lib/errors";
import { fileUrls } from "~/lib/file-urls";
import { formatMs } from "~/lib/format";
import { loadImage } from "~/lib/load-image";
import { useTRPCClient } from "~/trpc/react";
import { type Crop, CropPicker, clampCrop } from "./crop-picker";
import { previewCropSide, previewUsesCrop } from "./params";

export interface PreviewImage {
  id: string;
  width: number;
  height: number;
  originalName: string;
}

export interface ShownPreview {
  /** The form parameters (serialised) this preview was computed with. */
  paramsKey: string;
  before: string;
  after: string;
  labels?: Array<{ label: string; score: number }>;
  paramSignature: string;
  expectedSignature: string;
  device: string;
  ms: number | null;
}

const DEBOUNCE_MS = 450;

/**
 * The crop (in the original's pixels) cut from the display rendition, which is the original
 * itself up to 2048 px and a reduced copy beyond: the crop is scaled to the rendition's pixels.
 */
function cropToDataUrl(img: HTMLImageElement, crop: Crop, originalWidth: number): string {
  const scale = img.naturalWidth / originalWidth;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(crop.width * scale));
  canvas.height = Math.max(1, Math.round(crop.height * scale));
  canvas
    .getContext("2d")
    ?.drawImage(
      img,
      crop.x * scale,
      crop.y * scale,
      crop.width * scale,
      crop.height * scale,
      0,
      0,
      canvas.width,
      canvas.height,
    );
  return canvas.toDataURL("image/png");
}

/**
 * Live preview of a crop. Re-runs (debounced) when the crop, weight or parameters change;
 * the last good preview stays on screen until the new one arrives, and a failure shows the
 * server's reason with a retry button.
 */
export function PreviewPanel({
  teamId,
  kind,
  weightId,
  image,
  params,
  paramsKey,
  onPreview,
  onBusy,
}: {
  teamId: string;
  kind: TaskKind;
  weightId: string | null;
  image: PreviewImage | null;
  params: unknown;
  paramsKey: string;
  onPreview: (preview: ShownPreview | null) => void;
  /** Told whenever a preview starts or ends computing (the phone's preview strip shows it). */
  onBusy?: (busy: boolean) => void;
}) {
  const t = useTranslations();
  const errorMessage = useErrorMessage();
  const locale = useLocale();
  const client = useTRPCClient();
  const side = previewCropSide(kind);
  const usesCrop = previewUsesCrop(kind);
  const [crop, setCrop] = useState<Crop>({ x: 0, y: 0, width: side, height: side });
  const [shown, setShown] = useState<ShownPreview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const sequence = useRef(0);
  const [busy, setBusy] = useState(false);
  // Only the newest preview is shown, so an older one still computing is aborted: the service
  // stops it and frees its slot. Leaving the page (e.g. after submitting) aborts it too.
  const inFlight = useRef<AbortController | null>(null);
  useEffect(() => () => inFlight.current?.abort(), []);

  // A new image: centre a crop of the kind's size on it.
  useEffect(() => {
    if (!image) return;
    setCrop(
      clampCrop(
        { x: (image.width - side) / 2, y: (image.height - side) / 2, width: side, height: side },
        image.width,
        image.height,
      ),
    );
  }, [image, side]);

  const run = useCallback(async () => {
    if (!image || !weightId) return;
    const id = ++sequence.current;
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    const key = paramsKey;
    const region = usesCrop
      ? clampCrop(crop, image.width, image.height)
      : { x: 0, y: 0, width: image.width, height: image.height };
    setError(null);
    setBusy(true);
    try {
      const [result, original] = await Promise.all([
        client.inference.preview.mutate(
          { teamId, weightId, imageId: image.id, crop: region, params },
          { signal: controller.signal },
        ),
        loadImage(fileUrls.rendition(teamId, image.id, "display")),
      ]);
      // A newer request was sent meanwhile: its answer is the one to show.
      if (id !== sequence.current) return;
      const next: ShownPreview = {
        paramsKey: key,
        before: cropToDataUrl(original, region, image.width),
        after: `data:image/png;base64,${result.pngBase64}`,
        labels: result.labels,
        paramSignature: result.paramSignature,
        expectedSignature: result.expectedSignature,
        device: result.device,
        ms: result.timings.totalMs ?? result.timings.total ?? null,
      };
      setShown(next);
      onPreview(next);
    } catch (e) {
      if (id === sequence.current && !controller.signal.aborted) setError(e);
    } finally {
      if (id === sequence.current) setBusy(false);
    }
  }, [image, weightId, crop, usesCrop, params, paramsKey, teamId, client, onPreview]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` re-runs on "retry preview"
  useEffect(() => {
    const timer = setTimeout(() => void run(), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [run, attempt]);

  const stale = shown !== null && shown.paramsKey !== paramsKey;
  useEffect(() => onBusy?.(busy), [busy, onBusy]);
  // Between choosing and the first answer (debounce, model load, run): say what is happening.
  const waiting = image !== null && weightId !== null && shown === null && error === null;

  return (
    <div className="grid gap-3">
      {image && usesCrop ? (
        <CropPicker
          src={fileUrls.rendition(teamId, image.id, "display")}
          alt={image.originalName}
          imageWidth={image.width}
          imageHeight={image.height}
          crop={crop}
          onChange={setCrop}
          label={t("newTask.crop")}
        />
      ) : null}
      {image && !usesCrop ? (
        // biome-ignore lint/performance/noImgElement: authorised route handler, already a display rendition
        <img
          src={fileUrls.rendition(teamId, image.id, "display")}
          alt={image.originalName}
          width={image.width}
          height={image.height}
          className="block h-auto max-h-72 w-full rounded-md border border-border object-contain checkerboard"
        />
      ) : null}
      {image ? (
        <p className="text-xs text-muted-foreground">
          {usesCrop ? t("newTask.previewHint") : t("newTask.previewWholeImage")}
        </p>
      ) : null}
      <div className="relative min-h-24" aria-busy={busy} data-testid="preview">
        {shown ? (
          kind === "classification" && shown.labels ? (
            <ClassificationChart
              scores={shown.labels}
              labelHeading={t("result.label")}
              scoreHeading={t("result.score")}
            />
          ) : (
            <BeforeAfter
              className="aspect-square w-full"
              before={shown.before}
              after={shown.after}
              beforeLabel={t("newTask.before")}
              afterLabel={t("newTask.after")}
            />
          )
        ) : waiting ? (
          <p
            role="status"
            data-testid="preview-waiting"
            className="flex items-center justify-center gap-2 rounded-md border border-dashed border-border p-6 text-center text-sm text-muted-foreground"
          >
            <Loader2 className="size-4 shrink-0 animate-spin" aria-hidden />
            {t("newTask.previewComputing", { image: image.originalName })}
          </p>
        ) : error ? null : (
          <p className="rounded-md border border-dashed border-border p-6 text-center text-sm text-muted-foreground">
            {image ? t("newTask.previewNeedsWeight") : t("newTask.previewNeedsImage")}
          </p>
        )}
        {/* What the "after" image currently is, for tests and scripts: a data URL and its settings. */}
        {shown ? (
          <span
            hidden
            data-testid="preview-after"
            data-src={shown.after}
            data-params={shown.paramsKey}
          />
        ) : null}
        {busy && shown ? (
          <div
            role="status"
            className="absolute right-2 bottom-2 flex items-center gap-2 rounded bg-background/90 px-2 py-1 text-xs shadow"
          >
            <Loader2 className="size-3 animate-spin" aria-hidden />
            {t("newTask.previewing")}
          </div>
        ) : null}
      </div>
      {error ? (
        <Alert
          className="flex flex-wrap items-center justify-between gap-2"
          data-testid="preview-error"
        >
          <span>{t("newTask.previewFailed", { message: errorMessage(error) })}</span>
          <Button size="sm" variant="outline" onClick={() => setAttempt((a) => a + 1)}>
            <RotateCcw aria-hidden />
            {t("newTask.retryPreview")}
          </Button>
        </Alert>
      ) : null}
      {shown ? (
        <div className="grid gap-1 text-xs text-muted-foreground">
          <p>
            {t("newTask.previewTime", { ms: formatMs(shown.ms, locale), device: shown.device })}
          </p>
          <p className="break-all">
            {t("newTask.signature")}:{" "}
            <code data-testid="preview-signature" className={stale ? "line-through" : undefined}>
              {shown.expectedSignature}
            </code>
          </p>
          <p>{t("newTask.signatureHint")}</p>
        </div>
      ) : null}
    </div>
  );
}
