// Typed HTTP client of the inference service (apps/inference). It checks every answer against
// the same wire schemas the service validates with, and needs nothing but zod and fetch, so any
// package (and a script outside the workspace) can call the service without depending on it.
import type { z } from "zod";
import { type ErrorBody, errorBodySchema, type InferenceErrorCode } from "../errors";
import { type ConvertRequest, type ConvertResponse, convertResponseSchema } from "./convert";
import {
  type ImageCheckRequest,
  type ImageCheckResponse,
  imageCheckResponseSchema,
} from "./image-check";
import { type Int8Request, type Int8Response, int8ResponseSchema } from "./int8";
import { type PreviewRequest, type PreviewResponse, previewResponseSchema } from "./preview";
import {
  type RenditionRequest,
  type RenditionResponse,
  renditionResponseSchema,
} from "./rendition";
import {
  type HealthResponse,
  healthResponseSchema,
  type ReadyResponse,
  readyResponseSchema,
  type SystemResponse,
  systemResponseSchema,
} from "./system";
import { type ValidateRequest, type ValidateResponse, validateResponseSchema } from "./validate";

/**
 * The service cannot be reached (refused, reset, timed out, restarting). The message is the
 * one the UI shows; the cause says what happened.
 */
export class InferenceUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("inference service unavailable", options);
    this.name = "InferenceUnavailableError";
  }
}

/** The service answered with an error (bad request, not found, unprocessable, ...). */
export class InferenceRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: InferenceErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "InferenceRequestError";
  }
}

/** Too many previews at once; try again after `retryAfterSeconds`. */
export class InferenceBusyError extends InferenceRequestError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, "too_many_requests", message);
    this.name = "InferenceBusyError";
  }
}

export interface InferenceClientOptions {
  /** For example http://127.0.0.1:4010 (INFERENCE_URL). */
  baseUrl: string;
  /** INFERENCE_TOKEN; sent as a bearer token. */
  token?: string;
  /** Per-attempt time-out for quick calls (health, ready, system, metrics). */
  timeoutMs?: number;
  /** Per-attempt time-out for previews. */
  previewTimeoutMs?: number;
  /** Per-attempt time-out for weight validation (a child process loads and runs the model). */
  validateTimeoutMs?: number;
  /**
   * Per-attempt time-out for a weight conversion (a child process builds the ONNX file; the
   * service stops it at its own CONVERT_TIMEOUT_MS, 120 s by default, and one may be queued).
   */
  convertTimeoutMs?: number;
  /**
   * Per-attempt time-out for an INT8 check (a child process quantises the model and measures
   * it; the service stops it at its own INT8_TIMEOUT_MS, 300 s by default, and one may be queued).
   */
  int8TimeoutMs?: number;
  /**
   * Per-attempt time-out for a rendition (the service makes two at a time, each stopped after
   * 60 s, so a burst of thumbnails may wait its turn).
   */
  renditionTimeoutMs?: number;
  /**
   * Per-attempt time-out for an upload's image check (the service decodes one image at a time,
   * so the uploads of a burst or an archive wait their turn).
   */
  imageCheckTimeoutMs?: number;
  /** Further attempts for idempotent calls when the service is down or restarting. */
  retries?: number;
  /** First pause between attempts; doubles each time. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

interface CallOptions {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  timeoutMs: number;
  /**
   * Whether a repeat is harmless. Every endpoint of the service is (previews, validation and
   * conversion compute the same answer again; a conversion whose client went away removes its
   * file), but a call that timed out is only repeated when it was a quick read, so a slow
   * computation is not started twice.
   */
  retryOnTimeout: boolean;
  signal?: AbortSignal;
}

export type InferenceClient = ReturnType<typeof createInferenceClient>;

export function createInferenceClient(options: InferenceClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const timeoutMs = options.timeoutMs ?? 5_000;

  async function attempt(call: CallOptions): Promise<Response> {
    const timeout = AbortSignal.timeout(call.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (call.body !== undefined) headers["content-type"] = "application/json";
    return doFetch(`${baseUrl}${call.path}`, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal,
    });
  }

  async function request(call: CallOptions): Promise<Response> {
    let lastError: unknown;
    for (let n = 0; n <= retries; n++) {
      if (n > 0) await sleep(retryDelayMs * 2 ** (n - 1), call.signal);
      try {
        const response = await attempt(call);
        // 503 from a proxy or a service that is starting or stopping: worth another try.
        if (response.status === 503 && n < retries && call.path !== "/ready") {
          lastError = new Error(`HTTP 503 from ${call.path}`);
          await response.body?.cancel();
          continue;
        }
        return response;
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason ?? error;
        lastError = error;
        if (isTimeout(error) && !call.retryOnTimeout) break;
      }
    }
    throw new InferenceUnavailableError({ cause: lastError });
  }

  async function json<S extends z.ZodType>(call: CallOptions, schema: S): Promise<z.infer<S>> {
    const response = await request(call);
    let payload: unknown;
    try {
      payload = await response.json();
    } catch (error) {
      // A body cut off mid-way means the process went away while answering.
      throw new InferenceUnavailableError({ cause: error });
    }
    if (response.status === 503) throw new InferenceUnavailableError({ cause: payload });
    if (!response.ok) throw toRequestError(response, payload);
    return schema.parse(payload);
  }

  /** A quick read: repeated after a time-out like after any other failure. */
  const quickRead = (path: string): CallOptions => ({
    method: "GET",
    path,
    timeoutMs,
    retryOnTimeout: true,
  });

  /** A computation: never repeated after a time-out, so it is not started twice. */
  const computation = (
    path: string,
    body: unknown,
    callTimeoutMs: number,
    signal: AbortSignal | undefined,
  ): CallOptions => ({
    method: "POST",
    path,
    body,
    timeoutMs: callTimeoutMs,
    retryOnTimeout: false,
    signal,
  });

  return {
    /** Liveness. Throws InferenceUnavailableError when the service cannot be reached. */
    health(): Promise<HealthResponse> {
      return json(quickRead("/health"), healthResponseSchema);
    },

    /** Readiness report; answers also when not ready (the report says why). */
    async ready(): Promise<ReadyResponse> {
      const response = await request(quickRead("/ready"));
      const payload: unknown = await response.json().catch((error: unknown) => {
        throw new InferenceUnavailableError({ cause: error });
      });
      if (response.status !== 200 && response.status !== 503)
        throw toRequestError(response, payload);
      return readyResponseSchema.parse(payload);
    },

    system(): Promise<SystemResponse> {
      return json(quickRead("/v1/system"), systemResponseSchema);
    },

    /** Prometheus text exposition. */
    async metrics(): Promise<string> {
      const response = await request(quickRead("/metrics"));
      const text = await response.text();
      if (!response.ok) throw toRequestError(response, safeJson(text));
      return text;
    },

    /** Runs the pipeline on a crop. Throws InferenceBusyError when too many previews run. */
    preview(input: PreviewRequest, signal?: AbortSignal): Promise<PreviewResponse> {
      return json(
        computation("/v1/preview", input, options.previewTimeoutMs ?? 30_000, signal),
        previewResponseSchema,
      );
    },

    /** Inspects and trial-runs an ONNX file; `ok: false` with `code` and `reason` when rejected. */
    validateWeight(input: ValidateRequest, signal?: AbortSignal): Promise<ValidateResponse> {
      return json(
        computation("/v1/weights/validate", input, options.validateTimeoutMs ?? 120_000, signal),
        validateResponseSchema,
      );
    },

    /**
     * Converts an upload staged in the blob store under incoming/ (a state_dict or an NCNN
     * pair) to an ONNX object stored as incoming/<random>.onnx, which the caller then owns. A refused upload is an InferenceRequestError
     * with the converter's code and message (the import report in `details` for a state_dict).
     */
    convertWeight(input: ConvertRequest, signal?: AbortSignal): Promise<ConvertResponse> {
      return json(
        computation("/v1/weights/convert", input, options.convertTimeoutMs ?? 300_000, signal),
        convertResponseSchema,
      );
    },

    /**
     * Quantises a kept weight to INT8 and measures it against FP32 (quality gate, speed-up); when
     * offered, the node has stored weights/<sha256>.int8.onnx (`stored`). A weight the quantiser
     * cannot handle is a report with state "unsupported", not an error.
     */
    checkInt8(input: Int8Request, signal?: AbortSignal): Promise<Int8Response> {
      return json(
        computation("/v1/weights/int8", input, options.int8TimeoutMs ?? 600_000, signal),
        int8ResponseSchema,
      );
    },

    /**
     * Makes (or finds) the rendition (WebP, or JPEG for print) of a stored image at `target`. A source the service
     * cannot render is `ok: false` with a code and a message; a missing source is a 404
     * InferenceRequestError.
     */
    makeRendition(input: RenditionRequest, signal?: AbortSignal): Promise<RenditionResponse> {
      return json(
        computation("/v1/renditions", input, options.renditionTimeoutMs ?? 180_000, signal),
        renditionResponseSchema,
      );
    },

    /**
     * Decodes every pixel of an upload staged in the blob store under incoming/ and answers its format, size, channels
     * and bit depth. An image that does not decode is a 422 InferenceRequestError (`unprocessable`)
     * whose message is for the uploader and whose `details` give the reason
     * (imageRefusalDetailsSchema); a missing file is a 404.
     */
    checkImage(input: ImageCheckRequest, signal?: AbortSignal): Promise<ImageCheckResponse> {
      return json(
        computation("/v1/images/check", input, options.imageCheckTimeoutMs ?? 180_000, signal),
        imageCheckResponseSchema,
      );
    },
  };
}

function toRequestError(response: Response, payload: unknown): InferenceRequestError {
  const parsed = errorBodySchema.safeParse(payload);
  const error: ErrorBody["error"] = parsed.success
    ? parsed.data.error
    : { code: "internal", message: `inference service answered HTTP ${response.status}` };
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get("retry-after") ?? "1");
    return new InferenceBusyError(error.message, Number.isFinite(retryAfter) ? retryAfter : 1);
  }
  return new InferenceRequestError(response.status, error.code, error.message, error.details);
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && error.name === "TimeoutError";
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
