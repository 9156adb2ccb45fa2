import { type ErrorBody, errorBody, type InferenceErrorCode } from "@studio/contracts/errors";

/** An error with an HTTP status and a stable code; its message is safe to show to clients. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: InferenceErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }

  body(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

// Status prefixes, source locations and C++ signatures that onnxruntime and native allocators
// put in their messages: meaningless to a user, and they disclose how the server is built.
const ORT_STATUS = /\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:/g;
const SOURCE_LOCATION = /(?:\/[\w.+-]+)+\.(?:cc|cpp|cxx|c|hpp|h)(?::\d+)?/g;
const NAME = String.raw`[\w~]+(?:<[^<>()]*>)?`;
const CPP_SIGNATURE = new RegExp(
  String.raw`(?:(?:const\s+)?(?:void|bool|int|size_t|auto|${NAME}(?:::${NAME})+)[*&]*\s+)?${NAME}(?:::${NAME})+\([^()]*\)(?:\s*const)?`,
  "g",
);
const LOADED_FROM = /\bfrom \/\S+/g;

/**
 * A library's error message in words fit for a user: without status prefixes, source paths,
 * C++ signatures or server paths. The raw message belongs in the log, never in a response.
 */
export function withoutInternals(message: string): string {
  return message
    .replace(ORT_STATUS, " ")
    .replace(SOURCE_LOCATION, " ")
    .replace(CPP_SIGNATURE, " ")
    .replace(LOADED_FROM, "from the file")
    .replace(/\s+/g, " ")
    .replace(/^[\s:;,.-]+/, "")
    .trim();
}
