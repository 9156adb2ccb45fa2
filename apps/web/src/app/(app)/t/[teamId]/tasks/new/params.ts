import type { TaskKind } from "@studio/contracts/task";
import {
  type ClassificationParams,
  type SegmentationParams,
  type SuperResolutionParams,
  TUNING_PRESETS,
  type TuningPresetName,
  type TuningValues,
} from "@studio/core/spec";

export type Tile = number | "auto" | "off";

/** What the form edits; turned into the task's params with `toParams`. */
export interface FormParams {
  tile: Tile;
  threshold: number;
  topK: number;
  preset: TuningPresetName;
  overrides: Partial<TuningValues>;
}

export const DEFAULT_FORM: FormParams = {
  // Sized from the memory free where the task runs (see @studio/core tiling/auto.ts).
  tile: "auto",
  threshold: 0.5,
  topK: 5,
  preset: "gentle",
  overrides: {},
};

export function toParams(
  kind: TaskKind,
  form: FormParams,
): SuperResolutionParams | SegmentationParams | ClassificationParams | Record<string, unknown> {
  if (kind === "super_resolution") {
    return {
      tile: form.tile,
      tuning: { preset: form.preset, overrides: form.preset === "raw" ? {} : form.overrides },
    };
  }
  if (kind === "segmentation") return { threshold: form.threshold, tile: form.tile };
  return { topK: form.topK };
}

export function tuningValues(form: FormParams): TuningValues {
  return { ...TUNING_PRESETS[form.preset], ...form.overrides };
}

/** True when a slider moved a value away from the preset's own: the preset no longer describes it. */
export function isCustomTuning(form: FormParams): boolean {
  if (form.preset === "raw") return false;
  const preset = TUNING_PRESETS[form.preset];
  return (Object.keys(form.overrides) as Array<keyof TuningValues>).some(
    (key) => form.overrides[key] !== undefined && form.overrides[key] !== preset[key],
  );
}

/** The largest Top-k a weight can answer: its label count, or the schema's cap when it names none. */
export function maxTopK(labelCount: number): number {
  return labelCount > 0 ? Math.min(labelCount, 1000) : 20;
}

/**
 * Rough peak memory of one SR tile in MB: input and output tensors plus the network's widest
 * feature maps (64 channels, twice for ping-pong buffers), all float32.
 */
export function tileMemoryMB(tile: number, scale = 4): number {
  const px = tile * tile;
  const bytes = px * 3 * 4 * (1 + scale * scale) + px * 64 * 4 * 2;
  return Math.ceil(bytes / (1024 * 1024));
}

/** Crop size per task kind: small for SR (the output is 16x larger), larger for masks. */
export function previewCropSide(kind: TaskKind): number {
  if (kind === "super_resolution") return 128;
  return 256;
}

/** Classification labels the whole image (as the task does), so its preview takes no crop. */
export function previewUsesCrop(kind: TaskKind): boolean {
  return kind !== "classification";
}
