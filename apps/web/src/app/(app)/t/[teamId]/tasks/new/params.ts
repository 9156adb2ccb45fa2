import { type OutputSettings, outputSettingsSchema, type TaskKind } from "@studio/contracts/task";
import {
  type ClassificationParams,
  ClassificationParams as ClassificationSchema,
  type Precision,
  type SegmentationParams,
  SegmentationParams as SegmentationSchema,
  type SuperResolutionParams,
  SuperResolutionParams as SuperResolutionSchema,
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
  /** Super-resolution: the result file's format, size and colour. */
  output: OutputSettings;
  /** Super-resolution: quality scores against the input shrunk by the model's scale. */
  compareDownscaled: boolean;
  /** Super-resolution and segmentation: FP32, or the weight's INT8 copy where it is offered. */
  precision: Precision;
}

export const DEFAULT_FORM: FormParams = {
  // Sized from the memory free where the task runs (see @studio/core tiling/auto.ts).
  tile: "auto",
  threshold: 0.5,
  topK: 5,
  preset: "gentle",
  overrides: {},
  output: outputSettingsSchema.parse({}),
  compareDownscaled: false,
  precision: "fp32",
};

export function toParams(
  kind: TaskKind,
  form: FormParams,
): SuperResolutionParams | SegmentationParams | ClassificationParams | Record<string, unknown> {
  if (kind === "super_resolution") {
    return {
      tile: form.tile,
      tuning: { preset: form.preset, overrides: form.preset === "raw" ? {} : form.overrides },
      output: form.output,
      // Left out when off, so the parameter signature stays what it was without it.
      ...(form.compareDownscaled ? { compareDownscaled: true } : {}),
      ...precisionParam(form),
    };
  }
  if (kind === "segmentation")
    return { threshold: form.threshold, tile: form.tile, ...precisionParam(form) };
  return { topK: form.topK };
}

/** Left out for FP32 (the default), so the params of FP32 tasks read as they did before INT8. */
function precisionParam(form: FormParams): { precision?: "int8" } {
  return form.precision === "int8" ? { precision: "int8" } : {};
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

/**
 * The form a task's params describe (a result's provenance dropped on the page): what the kind's
 * schema accepts, the rest left as it was. Null when the params do not fit the kind.
 */
export function formFromParams(
  kind: TaskKind,
  params: unknown,
  base: FormParams,
): FormParams | null {
  if (kind === "super_resolution") {
    const p = SuperResolutionSchema.safeParse(params).data;
    if (!p) return null;
    return {
      ...base,
      tile: p.tile,
      preset: p.tuning.preset,
      overrides: p.tuning.overrides,
      output: p.output,
      compareDownscaled: p.compareDownscaled === true,
      precision: p.precision,
    };
  }
  if (kind === "segmentation") {
    const p = SegmentationSchema.safeParse(params).data;
    return p ? { ...base, threshold: p.threshold, tile: p.tile, precision: p.precision } : null;
  }
  const p = ClassificationSchema.safeParse(params).data;
  return p ? { ...base, topK: p.topK } : null;
}

/** Whole scales a model of `scale` can write besides its own (x2, x3 from an x4 model). */
export function smallerScales(scale: number): number[] {
  return Array.from({ length: Math.max(0, scale - 1) }, (_, i) => scale - 1 - i);
}
