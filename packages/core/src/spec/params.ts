import { outputSettingsSchema } from "@studio/contracts/task";
import { z } from "zod";
import type { TaskKind } from "./model-spec";
import { TuningParams } from "./tuning";

/**
 * Super-resolution tiles by default from the memory the device has free (tiling/auto.ts): one
 * tile for most images on a CPU, so no overlap is computed twice.
 */
export const DEFAULT_SR_TILE = "auto" as const;
/** The seed's tile, sized for 8 GB GPUs: a preset that stays available. */
export const GPU_8GB_TILE = 192;
/** Segmentation nets keep a fixed tile: their working set per pixel varies far more by model. */
export const DEFAULT_SEGMENTATION_TILE = 512;
export const MIN_TILE = 32;
export const MAX_TILE = 4096;

/** A tile side in input pixels, "auto" (from a memory budget) or "off" (one tile). */
export const TileSetting = z.union([
  z.number().int().min(MIN_TILE).max(MAX_TILE),
  z.literal("auto"),
  z.literal("off"),
]);
export type TileSetting = z.infer<typeof TileSetting>;

/** Overlap between neighbouring tiles in input pixels; "auto" = 4 x receptive field. */
export const OverlapSetting = z.union([z.number().int().min(0).max(1024), z.literal("auto")]);
export type OverlapSetting = z.infer<typeof OverlapSetting>;

/**
 * Which session runs the model: "fp32" (the weight as uploaded) or "int8", the weight's
 * quantised copy (QLinearConv), offered per weight only when its INT8 check passed the quality
 * gate and was faster on the node's CPU (weights.checkInt8). Part of the signature: INT8 pixels
 * differ from FP32 ones. "fp32" is left out of the signature (signatureParams), so tasks signed
 * before this parameter existed still match.
 */
export const Precision = z.enum(["fp32", "int8"]);
export type Precision = z.infer<typeof Precision>;

export const SegmentationOutputs = z
  .object({
    mask: z.boolean().default(true),
    probability: z.boolean().default(true),
    overlay: z.boolean().default(true),
    probabilityBitDepth: z.union([z.literal(8), z.literal(16)]).default(16),
    overlayColor: z
      .tuple([
        z.number().int().min(0).max(255),
        z.number().int().min(0).max(255),
        z.number().int().min(0).max(255),
      ])
      .default([255, 0, 0]),
    overlayOpacity: z.number().min(0).max(1).default(0.5),
  })
  .prefault({});
export type SegmentationOutputs = z.infer<typeof SegmentationOutputs>;

export const SegmentationParams = z
  .object({
    threshold: z.number().min(0).max(1).default(0.5),
    tile: TileSetting.default(DEFAULT_SEGMENTATION_TILE),
    overlap: OverlapSetting.default("auto"),
    precision: Precision.default("fp32"),
    outputs: SegmentationOutputs,
  })
  .prefault({});
export type SegmentationParams = z.infer<typeof SegmentationParams>;

export const SuperResolutionParams = z
  .object({
    tile: TileSetting.default(DEFAULT_SR_TILE),
    overlap: OverlapSetting.default("auto"),
    /**
     * Memory budget in MB for tile "auto". Left out (the default), the budget is a share of the
     * memory the device has free when the task runs; the signature then stays the same on every
     * machine and the tiles chosen are reported with the result.
     */
    tileBudgetMB: z.number().int().min(16).max(65536).optional(),
    precision: Precision.default("fp32"),
    tuning: TuningParams,
    /** Format, size and colour of the written result (see signatureParams for what it hashes). */
    output: outputSettingsSchema,
    /**
     * Quality scores without references: each input is also shrunk by the model's scale
     * (bicubic), upscaled again and compared with itself (PSNR / SSIM, bicubic as baseline). Does
     * not change the result's pixels; optional so signatures without it stay as they were.
     */
    compareDownscaled: z.boolean().optional(),
  })
  .prefault({});
export type SuperResolutionParams = z.infer<typeof SuperResolutionParams>;

export const ClassificationParams = z
  .object({
    topK: z.number().int().min(1).max(1000).default(5),
    /** false = report raw logits instead of applying the spec's activation. */
    applyActivation: z.boolean().default(true),
  })
  .prefault({});
export type ClassificationParams = z.infer<typeof ClassificationParams>;

export const PARAM_SCHEMAS = {
  segmentation: SegmentationParams,
  super_resolution: SuperResolutionParams,
  classification: ClassificationParams,
} as const;

export type ParamsFor<K extends TaskKind> = z.infer<(typeof PARAM_SCHEMAS)[K]>;
export type TaskParams =
  | { kind: "segmentation"; params: SegmentationParams }
  | { kind: "super_resolution"; params: SuperResolutionParams }
  | { kind: "classification"; params: ClassificationParams };

/** Validates and fills defaults; throws a ZodError on invalid input. */
export function parseParams<K extends TaskKind>(kind: K, input: unknown): ParamsFor<K> {
  return PARAM_SCHEMAS[kind].parse(input ?? {}) as ParamsFor<K>;
}

/**
 * Fills what the weight's spec decides when the caller left it out: a segmentation model's own
 * default threshold (PP-OCR detection uses 0.3, OCTA 0.5). Applied before parsing, so previews,
 * tasks and their signatures agree.
 */
export function withSpecDefaults(kind: TaskKind, input: unknown, spec: unknown): unknown {
  const params = (input ?? {}) as Record<string, unknown>;
  if (kind !== "segmentation" || typeof params !== "object" || "threshold" in params) return input;
  const threshold = (spec as { defaultThreshold?: unknown } | null)?.defaultThreshold;
  return typeof threshold === "number" ? { ...params, threshold } : input;
}

/** A crop of the input image in input pixels (previews). */
export const Region = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type Region = z.infer<typeof Region>;
