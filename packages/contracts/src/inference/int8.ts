// POST /v1/weights/int8: quantises a kept weight to INT8 in an isolated child process, measures
// its quality and speed against FP32 (the gate of @studio/core/quantize), and, when INT8 is
// offered, stores the quantised model as weights/<sha256>.int8.onnx. Depends on zod alone, so the
// API validates and stores the report without loading the compute code.
import { z } from "zod";

/** What the INT8 check found (@studio/core/quantize Int8Report), as stored on the weight. */
export const int8StateSchema = z.enum(["offered", "refused", "not_faster", "unsupported"]);
export type Int8State = z.infer<typeof int8StateSchema>;

/**
 * Loose: fields the quantiser adds later pass through and are stored as they are. A stored value
 * read back keeps its known fields checked.
 */
export const int8ReportSchema = z.looseObject({
  state: int8StateSchema,
  /** One English sentence with the figures. */
  reason: z.string(),
  /** Super-resolution: PSNR of INT8 against FP32 output, lowest over the calibration images. */
  psnrDb: z.number().optional(),
  /** Segmentation: share of mask pixels on which INT8 and FP32 agree (lowest image). */
  maskAgreement: z.number().optional(),
  /** Model time FP32 / INT8 on the same input. */
  speedup: z.number().optional(),
  fp32Ms: z.number().optional(),
  int8Ms: z.number().optional(),
  quantizedConvs: z.number().optional(),
  totalConvs: z.number().optional(),
  /** Whether the measuring node's CPU has VNNI. */
  vnni: z.boolean().optional(),
  /** ISO time of the measurement. */
  measuredAt: z.string(),
});
export type Int8ReportWire = z.infer<typeof int8ReportSchema>;

/** Task kinds with an INT8 mode (convolutional nets). */
export const INT8_TASK_KINDS = ["super_resolution", "segmentation"] as const;

export const int8RequestSchema = z.object({
  /** The kept weight (weights/<sha256>.onnx in the store, or an official model of the node). */
  weightSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The weight's model spec (core ModelSpec), as registered. */
  spec: z.unknown(),
  taskKind: z.enum(INT8_TASK_KINDS),
});
export type Int8Request = z.input<typeof int8RequestSchema>;

export const int8ResponseSchema = z.object({
  report: int8ReportSchema,
  /** Whether weights/<sha256>.int8.onnx now holds the quantised model (state "offered"). */
  stored: z.boolean(),
});
export type Int8Response = z.infer<typeof int8ResponseSchema>;

/** Where the quantised model of a weight is kept in the blob store. */
export const int8WeightKey = (sha256: string) => `weights/${sha256.toLowerCase()}.int8.onnx`;
