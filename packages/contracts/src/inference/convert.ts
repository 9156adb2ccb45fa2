// POST /v1/weights/convert: builds the ONNX file of an uploaded PyTorch / safetensors state_dict
// or NCNN model in an isolated child process. The web app stages the upload in the store under
// incoming/ and names its key here; only keys under incoming/ can be named, and the service never
// deletes them (the caller owns its upload). Refusals use the codes of ../errors
// (CONVERT_ERROR_CODES).
import { z } from "zod";
import { importReportSchema } from "./import-report";
import { INCOMING_PREFIX, storeKeySchema } from "./store-key";

/** An upload the web app staged in the store (incoming/<random>). */
const stagedKeySchema = storeKeySchema(INCOMING_PREFIX);

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
    key: stagedKeySchema,
    /**
     * Absent: detected from the keys and shapes. A family (rrdb, srvgg, unet): detected within
     * it. An id of @studio/core/architectures (octa-unet, rrdbnet-x2-nf64-nb23-gc32, ...): the
     * file is checked against it.
     */
    architecture: z.string().min(1).max(100).optional(),
    /** The uploaded name; its extension (.pth, .pt, .safetensors) must be one the importer reads. */
    fileName: z.string().min(1).max(255),
    limits: convertLimitsSchema.default({}),
  }),
  z.object({
    kind: z.literal("ncnn"),
    param: stagedKeySchema,
    bin: stagedKeySchema,
    limits: convertLimitsSchema.default({}),
  }),
]);
export type ConvertRequest = z.input<typeof convertRequestSchema>;

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
  /**
   * The ONNX file the node stored (incoming/<random>.onnx), complete when named here; the caller
   * owns it from then on (moves it to weights/ or deletes it).
   */
  key: storeKeySchema(INCOMING_PREFIX),
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
