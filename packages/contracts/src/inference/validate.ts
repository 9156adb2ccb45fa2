// POST /v1/weights/validate: inspects an ONNX file and trial-runs it in an isolated process.
import { z } from "zod";
import { taskKindSchema } from "../task";
import { INCOMING_PREFIX, storeKeySchema } from "./store-key";

export const validateRequestSchema = z.object({
  /**
   * The ONNX file's key in the store: a staged upload (incoming/...), a kept weight
   * (weights/<sha256>.onnx), or an official model every node fetched at setup (official/...).
   */
  key: storeKeySchema(INCOMING_PREFIX, "weights/", "official/"),
  taskKind: taskKindSchema,
  /** The core ModelSpec the weight is registered with; derived from the graph when absent. */
  spec: z.unknown().optional(),
  /** When given, the service records the outcome on this Weight row (status, error, report). */
  weightId: z.string().min(1).optional(),
});
export type ValidateRequest = z.input<typeof validateRequestSchema>;

/** Why a weight was rejected: an answer of 200 with `ok: false`, not an error. */
export const rejectionCodeSchema = z.enum([
  "not_onnx",
  "truncated",
  "external_data",
  "custom_op_domain",
  "io_mismatch",
  "load_failed",
  "run_failed",
  "nan_output",
  "constant_output",
  "too_slow",
  "too_much_memory",
]);
export type RejectionCode = z.infer<typeof rejectionCodeSchema>;

export const tensorInfoSchema = z.object({
  name: z.string(),
  /** "float32", "int64", ...; "sequence" / "map" / "unknown" for non-tensors. */
  dtype: z.string(),
  /** Numbers for fixed dimensions, strings for symbolic ones, null when unknown; null rank unknown. */
  shape: z.array(z.union([z.number(), z.string(), z.null()])).nullable(),
});
export type TensorInfo = z.infer<typeof tensorInfoSchema>;

export const validateResponseSchema = z.object({
  ok: z.boolean(),
  code: rejectionCodeSchema.optional(),
  reason: z.string().optional(),
  taskKind: taskKindSchema,
  sha256: z.string().optional(),
  sizeBytes: z.number().int().optional(),
  inputs: z.array(tensorInfoSchema).default([]),
  outputs: z.array(tensorInfoSchema).default([]),
  opsets: z.array(z.object({ domain: z.string(), version: z.number() })).default([]),
  /** Default-domain opset. */
  opset: z.number().nullable().optional(),
  parameterCount: z.number().int().optional(),
  /** Super-resolution: output side / input side measured on the reference run. */
  derivedScale: z.number().optional(),
  /** Shapes of the reference run. */
  referenceInputShape: z.array(z.number()).optional(),
  referenceOutputShape: z.array(z.number()).optional(),
  /** The spec the weight runs with (given, or derived from the graph). */
  spec: z.unknown().optional(),
  timings: z.object({
    inspectMs: z.number().optional(),
    loadMs: z.number().optional(),
    runMs: z.number().optional(),
    totalMs: z.number(),
  }),
  peakRssMb: z.number().optional(),
});
export type ValidateResponse = z.infer<typeof validateResponseSchema>;
