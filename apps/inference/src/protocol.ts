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

// POST /v1/weights/convert: builds the ONNX file of an uploaded PyTorch / safetensors state_dict
// or NCNN model in an isolated child process. The web app receives the upload into
// DATA_DIR/tmp and names it here; only files under tmp/ can be named, and the service never
// deletes them (the caller owns its upload).

/** A file under DATA_DIR/tmp, relative to DATA_DIR (for example tmp/<random>.part). */
const tmpPathSchema = z
  .string()
  .min(5)
  .max(500)
  .refine(
    (p) =>
      p.startsWith("tmp/") &&
      !p.includes("\\") &&
      !p.includes("\0") &&
      !p.split("/").some((part) => part === ".." || part === "."),
    { message: "path must be relative to DATA_DIR and name a file under tmp/" },
  );

/** A caller may only tighten the service's own limits (CONVERT_*), never widen them. */
export const convertLimitsSchema = z.object({
  /** Largest input: the state_dict file, or the .param and .bin together. */
  maxBytes: z.number().int().positive().optional(),
  /** Wall-clock limit of the conversion process, start-up included. */
  timeoutMs: z.number().int().min(100).optional(),
  /** Memory the conversion process may use beyond its start-up. */
  maxMemoryMb: z.number().int().min(64).optional(),
});
export type ConvertLimits = z.infer<typeof convertLimitsSchema>;

export const convertRequestSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("state_dict"),
    path: tmpPathSchema,
    /** An id of @studio/core/architectures (octa-unet, realesr-general-x4v3, ...). */
    architecture: z.string().min(1).max(100),
    /** The uploaded name; its extension (.pth, .pt, .safetensors) must be one the importer reads. */
    fileName: z.string().min(1).max(255),
    limits: convertLimitsSchema.default({}),
  }),
  z.object({
    kind: z.literal("ncnn"),
    param: tmpPathSchema,
    bin: tmpPathSchema,
    limits: convertLimitsSchema.default({}),
  }),
]);
export type ConvertRequest = z.input<typeof convertRequestSchema>;

const keyShapeSchema = z.array(z.number());

/**
 * The importer's report (@studio/core/importers ImportReport, checked against it at compile time
 * in convert/job.ts). Loose, so a field the importer gains later still reaches the web app.
 */
export const importReportSchema = z.looseObject({
  verdict: z.enum(["accepted", "rejected"]),
  /** One sentence for the UI: why rejected, or what was accepted. */
  summary: z.string(),
  problems: z.array(z.string()),
  warnings: z.array(z.string()),
  architecture: z.string(),
  fileName: z.string(),
  sizeBytes: z.number(),
  format: z.enum(["pytorch", "safetensors"]).nullable(),
  /** A file-level failure (unreadable, unsafe, not a state_dict) with its stable code. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  wrapperKey: z.string().nullable(),
  strippedPrefix: z.string().nullable(),
  tensorCount: z.number(),
  parameterCount: z.number(),
  dtypes: z.record(z.string(), z.number()),
  nonFinite: z.array(z.string()),
  missing: z.array(z.object({ key: z.string(), expectedShape: keyShapeSchema })),
  unexpected: z.array(z.object({ key: z.string(), shape: keyShapeSchema, dtype: z.string() })),
  shapeMismatches: z.array(
    z.object({ key: z.string(), expectedShape: keyShapeSchema, actualShape: keyShapeSchema }),
  ),
  dtypeMismatches: z.array(z.object({ key: z.string(), dtype: z.string() })),
  matched: z.number(),
});
export type ImportReportWire = z.infer<typeof importReportSchema>;

/** What the NCNN converter found (@studio/core/ncnn NcnnConversion without the bytes). */
export const ncnnReportSchema = z.object({
  inputName: z.string(),
  outputNames: z.array(z.string()),
  inputChannels: z.number().nullable(),
  outputChannels: z.array(z.number().nullable()),
  layerCount: z.number().int(),
  /** Counts of weight storage kinds found in the .bin ("float16", "float32", ...). */
  weightStorage: z.record(z.string(), z.number()),
  parameterCount: z.number().int(),
});
export type NcnnReport = z.infer<typeof ncnnReportSchema>;

const convertedFileSchema = z.object({
  /** The ONNX file, relative to DATA_DIR: tmp/<random>.onnx.part, complete when named here. */
  path: z.string(),
  size: z.number().int(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  timings: z.object({ totalMs: z.number() }),
  peakRssMb: z.number(),
});

export const convertResponseSchema = z.discriminatedUnion("kind", [
  convertedFileSchema.extend({ kind: z.literal("state_dict"), report: importReportSchema }),
  convertedFileSchema.extend({ kind: z.literal("ncnn"), report: ncnnReportSchema }),
]);
export type ConvertResponse = z.infer<typeof convertResponseSchema>;

// Error codes of /v1/weights/convert besides the common ones, each with the message the web app
// shows as is: the importer's ImportErrorCode (forbidden_global, truncated, too_large, ...) or
// import_rejected for key problems (422, the report in `details`), unknown_architecture (400),
// ncnn_unsupported / ncnn_format (422, naming the layer or the .param line), payload_too_large
// (413), too_slow / too_much_memory (422: the conversion process was stopped at its limit).

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
