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

// ---------------------------------------------------------------------------------------------
// Reasons: finer than a code. Several different refusals share one coarse code (bad_request,
// conflict, forbidden, ...); `details.reason` says which one it is, with the values its message
// names (a status, a limit) beside it, so a client can say it in its own language. The API
// reads the reason off the message its services wrote (reasonOfMessage), so the services keep
// throwing plain `conflict("...")` and a refusal without a row here keeps the code's words.

interface ReasonRule {
  code: AppErrorCode;
  /** The message as the API writes it; named groups become values of `details`. */
  message: RegExp;
}

const REASON_RULES = {
  // Accounts and teams.
  wrong_password: { code: "bad_request", message: /^The current password is wrong\.$/ },
  same_password: {
    code: "bad_request",
    message: /^The new password must differ from the current one\.$/,
  },
  registrations_rate: {
    code: "too_many_requests",
    message: /^Too many registrations from this address\./,
  },
  tokens_need_session: {
    code: "forbidden",
    message: /^API tokens can only be created or revoked from a signed-in browser session\.$/,
  },
  personal_team_members: {
    code: "bad_request",
    message: /^A personal team has exactly one member\.$/,
  },
  personal_team_roles: {
    code: "bad_request",
    message: /^Roles in a personal team cannot change\.$/,
  },
  personal_team_leave: { code: "bad_request", message: /^A personal team cannot be left\.$/ },
  too_many_invitations: {
    code: "bad_request",
    message: /^This team already has (?<max>\d+) pending invitations; revoke some first\.$/,
  },
  already_member: { code: "conflict", message: /^This person is already a member of the team\.$/ },
  last_admin: {
    code: "conflict",
    message: /^A team needs at least one admin; promote someone first\.$/,
  },
  team_admins_only: {
    code: "forbidden",
    message: /^Only team admins (?:may do this|manage weights|may remove others)\.$/,
  },
  site_admins_only: {
    code: "forbidden",
    message:
      /^(?:Only site admins may do this|Official weights are managed by site admins|Only site admins upload official weights)\.$/,
  },
  // Uploads.
  uploads_rate: {
    code: "too_many_requests",
    message:
      /^Too many uploads: the limit is (?<limit>\d+) per minute; try again in (?<seconds>\d+) s\.$/,
  },
  larger_than: {
    code: "payload_too_large",
    message: /^The (?<what>weight|archive|upload) is larger than (?<limit>[\d.,]+ ?[KMGT]?i?B)\.$/,
  },
  quota: {
    code: "quota_exceeded",
    message:
      /^Your images and weights would use (?<used>[\d.,]+ ?[KMGT]?i?B); the per-user storage quota is (?<quota>[\d.,]+ ?[KMGT]?i?B)\./,
  },
  // Images, datasets, tasks.
  image_in_use: {
    code: "conflict",
    message: /^An unfinished task uses this image; cancel it first\.$/,
  },
  dataset_in_use: {
    code: "conflict",
    message: /^An unfinished task uses (?:this dataset|images of this dataset); cancel it first\.$/,
  },
  dataset_empty: { code: "bad_request", message: /^The dataset has no images\.$/ },
  too_many_task_images: {
    code: "bad_request",
    message: /^A task holds at most (?<max>\d+) images\.$/,
  },
  invalid_params: { code: "bad_request", message: /^Invalid (?<kind>[\w-]+) parameters: / },
  crop_outside: {
    code: "bad_request",
    message: /^The crop exceeds the image \((?<width>\d+)x(?<height>\d+)\)\.$/,
  },
  signature_mismatch: {
    code: "conflict",
    message: /^The parameters differ from the previewed ones \(signature mismatch\)\.$/,
  },
  task_not_retryable: {
    code: "conflict",
    message:
      /^The task is (?<status>\w+); only a finished task with failed items can be retried\.$/,
  },
  no_failed_items: { code: "conflict", message: /^The task has no failed items\.$/ },
  task_running: {
    code: "conflict",
    message: /^The task (?:is running|started meanwhile); cancel it first\.$/,
  },
  // Weights.
  weight_not_ready: {
    code: "conflict",
    message: /^The weight is (?<status>\w+); only validated weights can run\.$/,
  },
  weight_in_use: {
    code: "conflict",
    message: /^(?<count>\d+) queued or running task\(s\) use this weight; cancel them first\.$/,
  },
  default_not_ready: {
    code: "conflict",
    message: /^Only a validated weight can be the default\.$/,
  },
  default_deprecated: {
    code: "conflict",
    message: /^A deprecated weight cannot be the default\.$/,
  },
  version_exists: {
    code: "conflict",
    message: /^Version (?<version>.+) of (?<family>.+) already exists\.$/,
  },
  // The fast CPU mode (INT8): `reason` is the INT8 check's own sentence with its figures.
  int8_not_offered: {
    code: "conflict",
    message: /^This weight has no fast CPU mode \(INT8\): (?<reason>.+)$/,
  },
  int8_task_kinds: {
    code: "bad_request",
    message: /^The fast CPU mode \(INT8\) is for super-resolution and segmentation weights only\.$/,
  },
  // The store's own refusals (Prisma), in the words the API gives them.
  duplicate: { code: "conflict", message: /^A record with these values already exists\.$/ },
  in_use: { code: "conflict", message: /^The record is still in use\.$/ },
  store_busy: { code: "conflict", message: /^The store was busy; try again\.$/ },
} as const satisfies Record<string, ReasonRule>;

/** Every reason; never renamed (the web app has a message for each: `errors.reasons.<reason>`). */
export type AppErrorReason = keyof typeof REASON_RULES;
export const APP_ERROR_REASONS = Object.keys(REASON_RULES) as AppErrorReason[];

/** The names of the values a reason's details carry (what its message may fill in). */
export function reasonValueNames(reason: AppErrorReason): string[] {
  const rule: ReasonRule = REASON_RULES[reason];
  return [...rule.message.source.matchAll(/\(\?<(\w+)>/g)].map((m) => m[1] as string);
}

export function isAppErrorReason(value: unknown): value is AppErrorReason {
  return typeof value === "string" && Object.hasOwn(REASON_RULES, value);
}

/** `details` of an error with a reason: the reason and the values its message names. */
export type ReasonDetails = { reason: AppErrorReason } & Record<string, string | number>;

/**
 * The reason of a message the API wrote under `code`, with the values it names (digits as
 * numbers, for plurals); null when no rule knows the message.
 */
export function reasonOfMessage(code: AppErrorCode, message: string): ReasonDetails | null {
  for (const reason of APP_ERROR_REASONS) {
    const rule: ReasonRule = REASON_RULES[reason];
    if (rule.code !== code) continue;
    const match = rule.message.exec(message);
    if (!match) continue;
    const values: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(match.groups ?? {})) {
      values[name] = /^\d+$/.test(value) ? Number(value) : value;
    }
    return { ...values, reason };
  }
  return null;
}
