// The settings a task ran with, in words, as the task page says them (the web app's
// task-params.tsx, with its messages): the model, tile, tuning preset and values, threshold or
// top-k, and the output file. Plain data here so the PDF can lay it out.
import {
  ClassificationParams,
  resolveTuning,
  SegmentationParams,
  SuperResolutionParams,
  type TileSetting,
} from "@studio/core/spec";
import type { ReportStrings } from "./strings";

export interface ParamsTask {
  taskKind: string;
  params: Record<string, unknown>;
  weightSha256: string;
  weight: { family: string; version: string } | null;
}

export type Fact = [label: string, value: string];

export function paramsInWords(task: ParamsTask, s: ReportStrings, locale: string): Fact[] {
  const w = s.params;
  const number = (value: number) =>
    new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }).format(value);
  const tile = (value: TileSetting) =>
    value === "auto" ? w.tileAuto : value === "off" ? w.tileOff : w.size(value, value);

  const facts: Fact[] = [
    [
      w.model,
      task.weight
        ? `${task.weight.family} ${task.weight.version}`
        : w.weightGone(task.weightSha256.slice(0, 12)),
    ],
  ];
  if (task.taskKind === "super_resolution") {
    const p = SuperResolutionParams.safeParse(task.params).data;
    if (p) {
      facts.push([w.tile, tile(p.tile)]);
      if (p.overlap !== "auto") facts.push([w.overlap, tile(p.overlap)]);
      const values = resolveTuning(p.tuning);
      facts.push([
        w.tuning,
        values
          ? `${w.presets[p.tuning.preset] ?? p.tuning.preset}: ${w.tuningValues({
              sharpen: number(values.sharpen),
              contrast: number(values.contrast),
              brightness: number(values.brightness),
              saturation: number(values.saturation),
              gamma: number(values.gamma),
              denoise: values.denoise ? w.denoiseSize(values.denoise) : w.denoiseOff,
            })}`
          : w.tuningRaw,
      ]);
    }
    const output = outputInWords(task.params.output, s);
    if (output) facts.push([w.output, output]);
  } else if (task.taskKind === "segmentation") {
    const p = SegmentationParams.safeParse(task.params).data;
    if (p) {
      facts.push([w.threshold, number(p.threshold)]);
      facts.push([w.tile, tile(p.tile)]);
    }
  } else if (task.taskKind === "classification") {
    const p = ClassificationParams.safeParse(task.params).data;
    if (p) {
      facts.push([w.topK, String(p.topK)]);
      facts.push([w.scores, p.applyActivation ? w.scoresProbability : w.scoresLogits]);
    }
  }
  return facts;
}

/**
 * A super-resolution task's output settings (format, quality when lossy, size, colour), read
 * field by field: tasks made before these settings existed have none, and then nothing is said
 * (they were written as PNG at the model's scale).
 */
function outputInWords(value: unknown, s: ReportStrings): string | null {
  if (!value || typeof value !== "object") return null;
  const o = value as Record<string, unknown>;
  const w = s.params;
  const parts: string[] = [];
  if (typeof o.format === "string") {
    parts.push(w.formats[o.format] ?? o.format);
    const lossy = o.format === "webp" || o.format === "jpeg" || o.format === "avif";
    if (lossy && typeof o.quality === "number") parts.push(w.quality(o.quality));
  }
  const size = o.size as Record<string, unknown> | undefined;
  if (size && typeof size === "object") {
    if (size.mode === "scale" && typeof size.scale === "number")
      parts.push(w.outputSize.scale(size.scale));
    else if (size.mode === "width" && typeof size.width === "number")
      parts.push(w.outputSize.width(size.width));
    else if (size.mode === "height" && typeof size.height === "number")
      parts.push(w.outputSize.height(size.height));
    else if (size.mode === "model") parts.push(w.outputSize.model);
  }
  if (o.color === "keep") parts.push(w.colorKeep);
  if (o.color === "srgb") parts.push(w.colorSrgb);
  return parts.length ? parts.join(" · ") : null;
}
