// Liveness, readiness and the host report of the inference service.
import { z } from "zod";

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
    /** Where uploads, weights and results live; `description` names no credentials. */
    blobStore: checkSchema.extend({ kind: z.string(), description: z.string() }),
    dataDir: checkSchema.extend({ path: z.string() }),
    onnxruntime: checkSchema.extend({
      version: z.string().optional(),
      providers: z.array(executionProviderSchema),
    }),
  }),
});
export type ReadyResponse = z.infer<typeof readyResponseSchema>;

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
  /** Where this node keeps bytes: the blob store's kind and where it points (no credentials). */
  storage: z.object({ kind: z.enum(["local", "s3"]), description: z.string() }).optional(),
});
export type SystemResponse = z.infer<typeof systemResponseSchema>;
