// The wire protocol of the inference service. Imported by the service (to validate what it
// receives and sends) and by packages/api's client (to type and check what it gets back), so
// it depends on nothing but zod.
import { z } from "zod";

export const taskKindSchema = z.enum(["segmentation", "super_resolution", "classification"]);
export type TaskKind = z.infer<typeof taskKindSchema>;

/** Every non-2xx answer has this body. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const errorCodes = [
  "bad_request",
  "unauthorized",
  "not_found",
  "too_many_requests",
  "timeout",
  /** The client closed the request before the answer (logged; nobody receives it). */
  "canceled",
  "payload_too_large",
  "unprocessable",
  "unavailable",
  "internal",
] as const;

// GET /health: liveness; answers as long as the event loop runs.
export const healthResponseSchema = z.object({
  status: z.literal("ok"),
  pid: z.number().int(),
  uptimeSeconds: z.number(),
  version: z.string(),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;

export const executionProviderSchema = z.object({ name: z.string(), bundled: z.boolean() });
export type ExecutionProvider = z.infer<typeof executionProviderSchema>;

const checkSchema = z.object({ ok: z.boolean(), ms: z.number(), message: z.string().optional() });

// GET /ready: 200 when everything needed for work is there, 503 with the same body otherwise.
export const readyResponseSchema = z.object({
  ready: z.boolean(),
  checks: z.object({
    store: checkSchema,
    dataDir: checkSchema.extend({ path: z.string() }),
    onnxruntime: checkSchema.extend({
      version: z.string().optional(),
      providers: z.array(executionProviderSchema),
    }),
  }),
});
export type ReadyResponse = z.infer<typeof readyResponseSchema>;

export const cropSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
});
export type Crop = z.infer<typeof cropSchema>;

// POST /v1/preview: runs the task's pipeline on a crop of a stored image, exactly as the full
// run computes that region. `params` are checked against the weight's task kind by the service.
export const previewRequestSchema = z.object({
  weightId: z.string().min(1),
  imageId: z.string().min(1),
  crop: cropSchema,
  params: z.record(z.string(), z.unknown()).default({}),
});
export type PreviewRequest = z.input<typeof previewRequestSchema>;

export const labelScoreSchema = z.object({
  label: z.string(),
  index: z.number().int(),
  score: z.number(),
});

export const previewResponseSchema = z.object({
  taskKind: taskKindSchema,
  /** The output image of the crop (mask, upscaled crop, or the crop itself for classification). */
  pngBase64: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** Segmentation: probability map of the crop (8 or 16-bit gray PNG) for re-thresholding in the browser. */
  probabilityPngBase64: z.string().optional(),
  /** Classification: top-k labels. */
  labels: z.array(labelScoreSchema).optional(),
  paramSignature: z.string(),
  weightSha256: z.string(),
  device: z.string(),
  timings: z.record(z.string(), z.number()),
});
export type PreviewResponse = z.infer<typeof previewResponseSchema>;

// POST /v1/weights/validate
export const validateRequestSchema = z.object({
  /** ONNX file relative to DATA_DIR (for example weights/<sha256>.onnx or tmp/<upload>). */
  path: z
    .string()
    .min(1)
    .refine((p) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."), {
      message: "path must be relative to DATA_DIR and stay inside it",
    }),
  taskKind: taskKindSchema,
  /** The core ModelSpec the weight is registered with; derived from the graph when absent. */
  spec: z.unknown().optional(),
  /** When given, the service records the outcome on this Weight row (status, error, report). */
  weightId: z.string().min(1).optional(),
});
export type ValidateRequest = z.input<typeof validateRequestSchema>;

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

// GET /v1/system
export const systemResponseSchema = z.object({
  hostname: z.string(),
  platform: z.string(),
  arch: z.string(),
  uptimeSeconds: z.number(),
  cpu: z.object({ model: z.string(), cores: z.number().int(), loadAverage: z.array(z.number()) }),
  memory: z.object({
    totalBytes: z.number(),
    freeBytes: z.number(),
    processRssBytes: z.number(),
    processHeapUsedBytes: z.number(),
  }),
  gpu: z.object({
    /** CUDA is usable only when onnxruntime-node was installed with its CUDA binaries. */
    cudaAvailable: z.boolean(),
    devices: z.array(z.object({ name: z.string(), memoryTotalMb: z.number().optional() })),
  }),
  providers: z.array(executionProviderSchema),
  versions: z.record(z.string(), z.string()),
  worker: z.object({
    enabled: z.boolean(),
    concurrency: z.number().int(),
    ortIntraOpThreads: z.number().int(),
    running: z.number().int(),
  }),
  queue: z.object({ queued: z.number().int(), running: z.number().int() }).optional(),
  preview: z.object({ running: z.number().int(), limit: z.number().int() }),
});
export type SystemResponse = z.infer<typeof systemResponseSchema>;
