// The API's one error type. Services, routers and file routes throw AppError with a stable code
// (@studio/contracts/errors); the table there decides the tRPC code and the HTTP status, so a
// failure answers the same code over tRPC (`data.appCode`) and over a file route
// (`{ error: { code } }`), and the web app translates by it.
import { BlobError, type BlobErrorCode } from "@studio/blob/errors";
import {
  APP_ERROR_TABLE,
  type AppErrorBody,
  type AppErrorCode,
  errorBody,
  type InferenceErrorCode,
  reasonOfMessage,
  TRPC_CODES,
  TRPC_TO_APP_CODE,
  type TrpcCode,
} from "@studio/contracts/errors";
import {
  InferenceBusyError,
  InferenceRequestError,
  InferenceUnavailableError,
} from "@studio/contracts/inference-client";
import { TRPCError } from "@trpc/server";

// The contracts list tRPC's codes as plain strings; these fail to compile if the lists drift.
const contractsKnowEveryTrpcCode: readonly TrpcCode[] = [] as TRPCError["code"][];
const trpcKnowsEveryContractsCode: readonly TRPCError["code"][] = TRPC_CODES;
void contractsKnowEveryTrpcCode;
void trpcKnowsEveryContractsCode;

/** A failure to report to the client: `message` is for people, `details` for programs. */
export class AppError extends Error {
  readonly details?: unknown;

  constructor(
    readonly code: AppErrorCode,
    message: string,
    options: { details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    // A refusal under a coarse code carries its finer reason, so clients can translate it.
    const details = options.details ?? reasonOfMessage(code, message) ?? undefined;
    if (details !== undefined) this.details = details;
  }

  /** The HTTP status of this code (the file routes answer it; tRPC derives the same). */
  get status(): number {
    return APP_ERROR_TABLE[this.code].http;
  }

  body(): AppErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

export const notFound = (message = "Not found.") => new AppError("not_found", message);
export const forbidden = (message = "You are not allowed to do this.") =>
  new AppError("forbidden", message);
export const unauthorized = (message = "Sign in first.") => new AppError("unauthorized", message);
export const badRequest = (message: string) => new AppError("bad_request", message);
export const conflict = (message: string) => new AppError("conflict", message);
export const tooManyRequests = (message: string) => new AppError("too_many_requests", message);

// Prisma error codes a client may hear about, in words that leak no SQL, table or column.
const PRISMA_CODES: Record<string, { code: AppErrorCode; message: string }> = {
  P2002: { code: "conflict", message: "A record with these values already exists." },
  P2003: { code: "conflict", message: "The record is still in use." },
  P2014: { code: "conflict", message: "The record is still in use." },
  P2025: { code: "not_found", message: "Not found." },
  P2034: { code: "conflict", message: "The store was busy; try again." },
};

// The store cannot be reached (down, restarting, network cut): Prisma's connection codes, or a
// driver adapter's "not reachable" kinds wrapped in a raw query's P2010.
const STORE_UNREACHABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017"]);
const STORE_UNREACHABLE_KINDS =
  /DatabaseNotReachable|ConnectionClosed|SocketTimeout|TooManyConnections/;

function isStoreUnreachable(error: Error & { code?: string; meta?: unknown }): boolean {
  if (error.code && STORE_UNREACHABLE_CODES.has(error.code)) return true;
  const adapter = (error.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError;
  const text = `${error.name} ${error.message} ${adapter instanceof Error ? adapter.message : ""}`;
  return STORE_UNREACHABLE_KINDS.test(text);
}

function isPrismaError(error: unknown): error is Error & { code?: string } {
  if (!(error instanceof Error)) return false;
  return error.name.startsWith("PrismaClient") || error.name === "DriverAdapterError";
}

// Blob store failures a client may hear about, in the user's terms (the store's own message,
// which names keys and buckets, stays in `cause` for the log). Other codes (misconfigured,
// integrity, invalid_key, failed) are faults of the installation or of this code: `internal`.
const BLOB_CODES: Partial<Record<BlobErrorCode, { code: AppErrorCode; message: string }>> = {
  unavailable: {
    code: "unavailable",
    message: "File storage is unreachable; try again shortly.",
  },
  storage_full: {
    code: "storage_full",
    message: "File storage has no room left; nothing was saved.",
  },
  not_found: { code: "not_found", message: "The file is missing." },
  invalid_range: { code: "bad_request", message: "The requested byte range is not valid." },
};

/**
 * The AppError a client may see for `error`: itself, or a store or blob store error in clean
 * words (an unknown one becomes `internal`). Null for anything else, whose message must not
 * reach clients.
 */
export function toClientError(error: unknown): AppError | null {
  const cause = error instanceof TRPCError ? (error.cause ?? error) : error;
  if (cause instanceof AppError) return cause;
  if (cause instanceof BlobError) {
    const known = BLOB_CODES[cause.code];
    if (known) return new AppError(known.code, known.message, { cause });
    return new AppError("internal", "Internal server error.", { cause });
  }
  if (!isPrismaError(cause)) return null;
  if (isStoreUnreachable(cause)) {
    return new AppError(
      "unavailable",
      "The store cannot be reached right now; nothing was saved. Try again shortly.",
      { cause },
    );
  }
  const known = cause.code ? PRISMA_CODES[cause.code] : undefined;
  if (known) return new AppError(known.code, known.message, { cause });
  return new AppError("internal", "Internal server error.", { cause });
}

/**
 * The error as tRPC carries it: an AppError (or a store error) becomes a TRPCError with the
 * table's tRPC code and the AppError as cause, from which the error formatter reads `appCode`.
 */
export function toTRPCError(error: unknown): TRPCError {
  const app = toClientError(error);
  if (app) {
    if (error instanceof TRPCError && error.cause === app && error.code === tRPCCodeOf(app)) {
      return error;
    }
    return new TRPCError({ code: tRPCCodeOf(app), message: app.message, cause: app });
  }
  if (error instanceof TRPCError) return error;
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
}

function tRPCCodeOf(error: AppError): TRPCError["code"] {
  return APP_ERROR_TABLE[error.code].trpc;
}

/**
 * The stable code and details of a tRPC error: its AppError's, or for an error tRPC raised
 * itself (input validation, a malformed request) the code its tRPC code stands for.
 */
export function appErrorOf(error: TRPCError): {
  code: AppErrorCode;
  details?: unknown;
  known: boolean;
} {
  const app = toClientError(error);
  if (app) return { code: app.code, details: app.details, known: true };
  return { code: TRPC_TO_APP_CODE[error.code], known: error.code !== "INTERNAL_SERVER_ERROR" };
}

// The inference service's codes that are faults between the two services rather than something
// about the caller's request: the client hears that the service failed, not "unauthorized".
const SERVICE_FAULTS = new Set<InferenceErrorCode>([
  "unauthorized",
  "canceled",
  "unavailable",
  "internal",
]);

/**
 * The AppError for a failed call of the inference service (unreachable, busy, or refusing the
 * request with one of its codes, which are application codes too); anything else as it is.
 */
export function inferenceError(error: unknown): unknown {
  if (error instanceof InferenceUnavailableError) {
    return new AppError(
      "inference_unavailable",
      "The inference service is unavailable; try again shortly.",
      { cause: error },
    );
  }
  if (error instanceof InferenceBusyError) {
    return new AppError(
      "inference_busy",
      `Too many previews are running; try again in ${error.retryAfterSeconds} s.`,
      { details: { retryAfterSeconds: error.retryAfterSeconds }, cause: error },
    );
  }
  if (error instanceof InferenceRequestError) {
    if (error.code === "storage_unavailable") {
      // The file storage all nodes share, not the node: the user hears about the storage.
      const message = error.message.endsWith(".") ? error.message : `${error.message}.`;
      return new AppError("unavailable", message, { cause: error });
    }
    // The service's messages are meant to be clean, but a path that slips into one (a
    // missing file) must not reach the browser; the cause keeps the original for the log.
    const message = withoutServerPaths(error.message);
    if (SERVICE_FAULTS.has(error.code)) {
      return new AppError("inference_failed", message, { cause: error });
    }
    return new AppError(error.code, message, { details: error.details, cause: error });
  }
  return error;
}

// Absolute POSIX or Windows paths of at least two segments. Segments exclude the
// separator, so the pattern cannot backtrack badly on long input.
const ABSOLUTE_PATH = /(?:[A-Za-z]:)?[\\/](?:[^\s'"`,;()<>\\/]+[\\/])+[^\s'"`,;()<>\\/]*/g;

/** Replaces server paths in a message with "<path>"; "missing" files get a plain sentence. */
export function withoutServerPaths(message: string): string {
  if (/\bENOENT\b/.test(message)) return "A file the service needs is missing.";
  return message.replace(ABSOLUTE_PATH, "<path>");
}
