import { TASK_KINDS, taskKindSchema } from "@studio/contracts/task";
import { z } from "zod";

// The kinds are listed once, in contracts; the spec re-exports them under its own names.
export const TaskKind = taskKindSchema;
export type TaskKind = z.infer<typeof TaskKind>;
export { TASK_KINDS };

export const ColorOrder = z.enum(["rgb", "bgr", "gray"]);
export type ColorOrder = z.infer<typeof ColorOrder>;

/** Value range the model sees before mean/std: 0..1 (x/max) or 0..255 (x/max*255). */
export const ValueRange = z.enum(["0-1", "0-255"]);
export type ValueRange = z.infer<typeof ValueRange>;

export const Activation = z.enum(["sigmoid", "softmax", "none"]);
export type Activation = z.infer<typeof Activation>;

const positiveInt = z.number().int().positive();

/** Fixed-size models get the whole image resized to width x height; dynamic ones are tiled. */
export const InputSize = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("fixed"), width: positiveInt, height: positiveInt }),
  z.object({
    mode: z.literal("dynamic"),
    multipleOf: positiveInt.default(1),
    /** Smallest side the model accepts; smaller inputs are reflect-padded up to it. */
    minSize: positiveInt.default(1),
  }),
]);
export type InputSize = z.infer<typeof InputSize>;

/** (x / maxValue * rangeMax - mean[c]) / std[c]; one entry is broadcast to all channels. */
export const Normalization = z
  .object({
    range: ValueRange.default("0-1"),
    mean: z.array(z.number()).min(1).max(3).default([0]),
    std: z
      .array(z.number().refine((v) => v !== 0, "std must not be 0"))
      .min(1)
      .max(3)
      .default([1]),
  })
  .prefault({});
export type Normalization = z.infer<typeof Normalization>;

const baseShape = {
  /** Graph input name; omitted = the model's first input. */
  inputName: z.string().min(1).optional(),
  /** Graph output name; omitted = the model's first output. */
  outputName: z.string().min(1).optional(),
  colorOrder: ColorOrder.default("rgb"),
  layout: z.literal("NCHW").default("NCHW"),
  size: InputSize.default({ mode: "dynamic", multipleOf: 1, minSize: 1 }),
  normalization: Normalization,
  /**
   * Radius in input pixels over which one output pixel depends on its input; drives the tile
   * overlap ("auto") so tiled results equal untiled ones.
   */
  receptiveField: z.number().int().min(0).max(512).default(16),
};

export const SegmentationSpec = z.object({
  kind: z.literal("segmentation"),
  ...baseShape,
  activation: Activation.default("sigmoid"),
  /** For multi-channel softmax outputs: the channel that is "foreground". */
  foregroundChannel: z.number().int().min(0).default(0),
  defaultThreshold: z.number().min(0).max(1).default(0.5),
});
export type SegmentationSpec = z.infer<typeof SegmentationSpec>;

export const SuperResolutionSpec = z.object({
  kind: z.literal("super_resolution"),
  ...baseShape,
  scale: z.number().int().min(1).max(16),
  /** Range of the model's output values (mapped back to 0..max and clamped). */
  outputRange: ValueRange.default("0-1"),
  /**
   * "whole-image": the net takes global averages over its feature maps (squeeze-and-excitation:
   * Real-CUGAN, waifu2x CUNet), so a tiled run first measures the whole image's averages tile by
   * tile and feeds them to every tile (pipeline/squeeze-sync.ts). Absent or "per-tile": each
   * tile is run as it is.
   */
  globalPooling: z.enum(["per-tile", "whole-image"]).optional(),
});
export type SuperResolutionSpec = z.infer<typeof SuperResolutionSpec>;

export const ClassificationSpec = z.object({
  kind: z.literal("classification"),
  ...baseShape,
  activation: Activation.default("softmax"),
  labels: z.array(z.string()).default([]),
});
export type ClassificationSpec = z.infer<typeof ClassificationSpec>;

export const ModelSpec = z.discriminatedUnion("kind", [
  SegmentationSpec,
  SuperResolutionSpec,
  ClassificationSpec,
]);
export type ModelSpec = z.infer<typeof ModelSpec>;
/** What callers may write (defaults not yet applied). */
export type ModelSpecInput = z.input<typeof ModelSpec>;

/** The seed's OCTA U-Net contract, exactly: gray, 256x256, (x/255-0.5)/0.5, sigmoid, 0.5. */
export const OCTA_SEGMENTATION_SPEC: SegmentationSpec = SegmentationSpec.parse({
  kind: "segmentation",
  colorOrder: "gray",
  size: { mode: "fixed", width: 256, height: 256 },
  normalization: { range: "0-1", mean: [0.5], std: [0.5] },
  activation: "sigmoid",
  defaultThreshold: 0.5,
  receptiveField: 0,
});

/** Real-ESRGAN family (x4, RGB in 0..1, dynamic size). */
export const REAL_ESRGAN_X4_SPEC: SuperResolutionSpec = SuperResolutionSpec.parse({
  kind: "super_resolution",
  colorOrder: "rgb",
  size: { mode: "dynamic", multipleOf: 1 },
  normalization: { range: "0-1", mean: [0], std: [1] },
  scale: 4,
  outputRange: "0-1",
  receptiveField: 16,
});

/** ImageNet-style RGB segmentation with a dynamic size (e.g. text detectors). */
export const RGB_IMAGENET_SEGMENTATION_SPEC: SegmentationSpec = SegmentationSpec.parse({
  kind: "segmentation",
  colorOrder: "rgb",
  size: { mode: "dynamic", multipleOf: 32 },
  normalization: { range: "0-1", mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  activation: "none",
  defaultThreshold: 0.3,
  receptiveField: 32,
});

export const SPEC_PRESETS = {
  octa: OCTA_SEGMENTATION_SPEC,
  "real-esrgan-x4": REAL_ESRGAN_X4_SPEC,
  "rgb-imagenet-segmentation": RGB_IMAGENET_SEGMENTATION_SPEC,
} as const;
