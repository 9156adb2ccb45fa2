// The error codes the inference service answers with and the API reads. They are part of the
// wire protocol: the API maps them to its own errors and some reach the uploader as they are,
// so a code is never renamed; a new one is added here first.
import { z } from "zod";
import { rejectionCodeSchema } from "./inference/validate";

/** Codes any endpoint of the inference service may answer. */
export const COMMON_ERROR_CODES = [
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
  /**
   * 502: the blob store every node shares is down or full. Not this node's fault, so a caller
   * neither tries another node (they all share it) nor counts it against this one.
   */
  "storage_unavailable",
  "internal",
] as const;

/**
 * Why the importer refused a state_dict file (@studio/core/importers ImportErrorCode; the
 * inference service fails to compile when that list gains a code missing here).
 */
export const IMPORT_ERROR_CODES = [
  "too_large",
  "unknown_format",
  "bad_header",
  "bad_tensor",
  "overlap",
  "truncated",
  "bad_archive",
  "bad_pickle",
  "forbidden_global",
  "not_a_state_dict",
  "unsupported",
] as const;
export const importErrorCodeSchema = z.enum(IMPORT_ERROR_CODES);
export type ImportErrorCode = z.infer<typeof importErrorCodeSchema>;

/**
 * Codes of POST /v1/weights/convert besides the common ones, each with a message the web app
 * shows as is: an importer code, import_rejected for key problems (422, the import report in
 * `details`), unknown_architecture (400), ncnn_unsupported / ncnn_format (422, naming the
 * layer or the .param line), too_slow / too_much_memory (422: the conversion process was
 * stopped at its limit).
 */
export const CONVERT_ERROR_CODES = [
  ...IMPORT_ERROR_CODES,
  "import_rejected",
  "unknown_architecture",
  "ncnn_unsupported",
  "ncnn_format",
  "too_slow",
  "too_much_memory",
] as const;
export type ConvertErrorCode = (typeof CONVERT_ERROR_CODES)[number];

export const INFERENCE_ERROR_CODES = [...COMMON_ERROR_CODES, ...CONVERT_ERROR_CODES] as const;
export const inferenceErrorCodeSchema = z.enum(INFERENCE_ERROR_CODES);
export type InferenceErrorCode = z.infer<typeof inferenceErrorCodeSchema>;

const errorBodyWith = <Code extends z.ZodType<string>>(code: Code) =>
  z.object({ error: z.object({ code, message: z.string(), details: z.unknown().optional() }) });

/** Every non-2xx answer of the inference service has this body. */
export const errorBodySchema = errorBodyWith(inferenceErrorCodeSchema);
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** An error answer's body, inference service and API alike: `details` only when there are some. */
export function errorBody<Code extends string>(code: Code, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

// ---------------------------------------------------------------------------------------------
// Application errors: what the API (tRPC procedures and file routes alike) answers with. One
// list of stable codes and one table mapping each to a tRPC code and an HTTP status, so the same
// failure carries the same code over both, and the web app translates by code.

/** tRPC's error codes (TRPC_ERROR_CODE_KEY of @trpc/server; the API checks the two agree). */
export const TRPC_CODES = [
  "PARSE_ERROR",
  "BAD_REQUEST",
  "INTERNAL_SERVER_ERROR",
  "NOT_IMPLEMENTED",
  "BAD_GATEWAY",
  "SERVICE_UNAVAILABLE",
  "GATEWAY_TIMEOUT",
  "UNAUTHORIZED",
  "PAYMENT_REQUIRED",
  "FORBIDDEN",
  "NOT_FOUND",
  "METHOD_NOT_SUPPORTED",
  "TIMEOUT",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "UNPROCESSABLE_CONTENT",
  "PRECONDITION_REQUIRED",
  "TOO_MANY_REQUESTS",
  "CLIENT_CLOSED_REQUEST",
] as const;
export type TrpcCode = (typeof TRPC_CODES)[number];

/** Why an uploaded image was refused (ImageErrorCode of @studio/core/image). */
export const IMAGE_ERROR_CODES = [
  "empty",
  "unsupported_format",
  "extension_mismatch",
  "too_many_pixels",
  "corrupt",
] as const;

/**
 * Every code the API answers with. Never renamed (clients and translations key on them); a new
 * failure gets a new code here, a row in APP_ERROR_TABLE and a message in each of the web app's
 * languages (`errors.<code>`).
 */
export const APP_ERROR_CODES = [
  // Any request: tRPC's own codes in snake_case (see TRPC_TO_APP_CODE).
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_supported",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "unprocessable",
  "too_many_requests",
  "timeout",
  "canceled",
  "unavailable",
  "internal",
  // Requests and uploads.
  "cross_site_request",
  "storage_full",
  "quota_exceeded",
  "invalid_spec",
  "annotations_too_large",
  "no_images",
  "bad_ncnn_archive",
  "not_renderable",
  ...IMAGE_ERROR_CODES,
  // Weights: a validation that failed without a more precise code, and the precise ones
  // (rejectionCodeSchema of ./inference/validate, but for the conversion codes listed next).
  "weight_rejected",
  ...rejectionCodeSchema.options.filter(
    (code) => !(CONVERT_ERROR_CODES as readonly string[]).includes(code),
  ),
  // Weight conversions (importer and converter refusals, as the inference service names them).
  ...CONVERT_ERROR_CODES,
  // The inference service itself.
  "inference_unavailable",
  "inference_busy",
  "inference_failed",
] as const;
export const appErrorCodeSchema = z.enum(APP_ERROR_CODES);
export type AppErrorCode = z.infer<typeof appErrorCodeSchema>;

export interface AppErrorMapping {
  trpc: TrpcCode;
  http: number;
}

const unprocessable: AppErrorMapping = { trpc: "UNPROCESSABLE_CONTENT", http: 422 };
const badRequest: AppErrorMapping = { trpc: "BAD_REQUEST", http: 400 };

const eachAs = <Code extends string>(codes: readonly Code[], mapping: AppErrorMapping) =>
  Object.fromEntries(codes.map((code) => [code, mapping])) as Record<Code, AppErrorMapping>;

/** The one table: how each code travels over tRPC and over HTTP (file routes). */
export const APP_ERROR_TABLE: Readonly<Record<AppErrorCode, AppErrorMapping>> = {
  bad_request: badRequest,
  unauthorized: { trpc: "UNAUTHORIZED", http: 401 },
  forbidden: { trpc: "FORBIDDEN", http: 403 },
  not_found: { trpc: "NOT_FOUND", http: 404 },
  method_not_supported: { trpc: "METHOD_NOT_SUPPORTED", http: 405 },
  conflict: { trpc: "CONFLICT", http: 409 },
  payload_too_large: { trpc: "PAYLOAD_TOO_LARGE", http: 413 },
  unsupported_media_type: { trpc: "UNSUPPORTED_MEDIA_TYPE", http: 415 },
  unprocessable,
  too_many_requests: { trpc: "TOO_MANY_REQUESTS", http: 429 },
  timeout: { trpc: "GATEWAY_TIMEOUT", http: 504 },
  canceled: { trpc: "CLIENT_CLOSED_REQUEST", http: 499 },
  unavailable: { trpc: "SERVICE_UNAVAILABLE", http: 503 },
  internal: { trpc: "INTERNAL_SERVER_ERROR", http: 500 },

  cross_site_request: { trpc: "FORBIDDEN", http: 403 },
  // 507 Insufficient Storage has no tRPC code; only file routes store bytes.
  storage_full: { trpc: "INTERNAL_SERVER_ERROR", http: 507 },
  quota_exceeded: { trpc: "PAYLOAD_TOO_LARGE", http: 413 },
  invalid_spec: badRequest,
  annotations_too_large: { trpc: "PAYLOAD_TOO_LARGE", http: 413 },
  no_images: unprocessable,
  bad_ncnn_archive: badRequest,
  not_renderable: unprocessable,

  empty: badRequest,
  unsupported_format: { trpc: "UNSUPPORTED_MEDIA_TYPE", http: 415 },
  extension_mismatch: { trpc: "UNSUPPORTED_MEDIA_TYPE", http: 415 },
  too_many_pixels: unprocessable,
  corrupt: unprocessable,

  weight_rejected: unprocessable,
  ...eachAs(rejectionCodeSchema.options, unprocessable),

  // Importer refusals, too_large included (a tensor or archive entry past the importer's
  // limit): the upload itself was accepted.
  ...eachAs(IMPORT_ERROR_CODES, unprocessable),
  import_rejected: unprocessable,
  unknown_architecture: badRequest,
  ncnn_unsupported: unprocessable,
  ncnn_format: unprocessable,

  inference_unavailable: { trpc: "SERVICE_UNAVAILABLE", http: 503 },
  inference_busy: { trpc: "TOO_MANY_REQUESTS", http: 429 },
  inference_failed: { trpc: "BAD_GATEWAY", http: 502 },
};

/** The code of an error tRPC raised itself (input validation, a refused request, ...). */
export const TRPC_TO_APP_CODE: Readonly<Record<TrpcCode, AppErrorCode>> = {
  PARSE_ERROR: "bad_request",
  BAD_REQUEST: "bad_request",
  INTERNAL_SERVER_ERROR: "internal",
  NOT_IMPLEMENTED: "internal",
  BAD_GATEWAY: "inference_failed",
  SERVICE_UNAVAILABLE: "unavailable",
  GATEWAY_TIMEOUT: "timeout",
  UNAUTHORIZED: "unauthorized",
  PAYMENT_REQUIRED: "forbidden",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  METHOD_NOT_SUPPORTED: "method_not_supported",
  TIMEOUT: "timeout",
  CONFLICT: "conflict",
  PRECONDITION_FAILED: "conflict",
  PAYLOAD_TOO_LARGE: "payload_too_large",
  UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
  UNPROCESSABLE_CONTENT: "unprocessable",
  PRECONDITION_REQUIRED: "bad_request",
  TOO_MANY_REQUESTS: "too_many_requests",
  CLIENT_CLOSED_REQUEST: "canceled",
};

export function isAppErrorCode(value: unknown): value is AppErrorCode {
  return typeof value === "string" && Object.hasOwn(APP_ERROR_TABLE, value);
}

/** What a file route answers on failure (the inference service's shape, with the API's codes). */
export const appErrorBodySchema = errorBodyWith(z.string());
export type AppErrorBody = {
  error: { code: AppErrorCode; message: string; details?: unknown };
};

/** The code for an error answer without a readable body (a proxy's page, a cut-off answer). */
export function appCodeForStatus(status: number): AppErrorCode {
  const generic = APP_ERROR_CODES.slice(0, APP_ERROR_CODES.indexOf("internal") + 1);
  return (
    generic.find((code) => APP_ERROR_TABLE[code].http === status) ??
    (status >= 500 ? "internal" : "bad_request")
  );
}
