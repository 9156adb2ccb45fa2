// The one tRPC HTTP handler: the web app's /api/trpc route and createApiHandler both call it,
// so the request checks below hold wherever the API is served.
import type { AppErrorCode } from "@studio/contracts/errors";
import type { TRPCError } from "@trpc/server";
import { type HTTPErrorHandler, resolveResponse } from "@trpc/server/http";
import type { StudioSession } from "../auth/next-auth";
import { createInnerContext, createTRPCContext } from "../context";
import { type Db, getDb } from "../db";
import { AppError, toTRPCError } from "../errors";
import type { InferenceClient } from "../inference";
import { type AppRouter, appRouter } from "../root";
import { formatBytes } from "../storage/files";
import { TRPC_PATH } from "./file-routes";
import { crossSiteRefusal, isStateChanging, withSecurityHeaders } from "./guards";
import { TRPC_MAX_BATCH_SIZE, TRPC_MAX_BODY_BYTES } from "./limits";

export interface Refusal {
  code: AppErrorCode;
  message: string;
}

export interface TrpcHandlerOptions {
  /** The store; the process's shared client when omitted (the web app's route handler). */
  db?: Db;
  inference?: InferenceClient;
  /** The next-auth session of the request; without it only API tokens authenticate. */
  getSession?: (request: Request) => Promise<StudioSession | null>;
  /** Where the handler is mounted (default /api/trpc). */
  endpoint?: string;
  /**
   * Answer this error for every call of the request without reading it or running anything
   * (an overloaded server sheds load this way, in tRPC's error shape).
   */
  refusal?: Refusal;
  onError?: HTTPErrorHandler<AppRouter, Request>;
}

/**
 * An oversized body is read on (and dropped) up to this many bytes before the 413 goes out:
 * answering while the client is still sending makes the connection reset, and the client would
 * see a network error instead of the reason.
 */
const DRAIN_BYTES = 16 * 1024 * 1024;

export async function handleTrpcRequest(
  request: Request,
  options: TrpcHandlerOptions,
): Promise<Response> {
  const { inference } = options;
  const db = options.db ?? getDb();
  const url = new URL(request.url);
  const endpoint = trimSlashes(options.endpoint ?? TRPC_PATH);
  const path = trimSlashes(trimSlashes(url.pathname).slice(endpoint.length));
  const admitted = options.refusal
    ? refuse(request, options.refusal.code, options.refusal.message)
    : await admit(request, url, path);
  const response = await resolveResponse({
    router: appRouter,
    req: admitted.request,
    path,
    // tRPC answers this error for every call of the request, in its own error shape (and
    // through the router's error formatter), without reading the body or running anything.
    error: admitted.error,
    createContext: async () =>
      admitted.error
        ? createInnerContext({ db, userId: null, via: null, inference })
        : createTRPCContext({
            db,
            inference,
            headers: request.headers,
            getSession: async () => (options.getSession ? options.getSession(request) : null),
          }),
    onError: options.onError,
  });
  return withSecurityHeaders(response);
}

interface Admission {
  /** The request tRPC reads: the original with its body read into memory, or a stand-in. */
  request: Request;
  error: TRPCError | null;
}

/**
 * The checks before tRPC sees the request: batch size, cross-site origin (when the session
 * cookie would authenticate it), JSON only for mutations (forms and text/plain are what other
 * sites can send without asking), and the body size, counted as it arrives.
 */
async function admit(request: Request, url: URL, path: string): Promise<Admission> {
  if (url.searchParams.get("batch") === "1") {
    // Counted as tRPC will split it: after URL-decoding, so "%2C" counts too.
    const calls = safeDecode(path).split(",").length;
    if (calls > TRPC_MAX_BATCH_SIZE) {
      return refuse(
        request,
        "bad_request",
        `This request holds ${calls} calls; at most ${TRPC_MAX_BATCH_SIZE} are accepted in one request. Send them in smaller batches.`,
      );
    }
  }
  if (!isStateChanging(request.method)) return { request, error: null };

  const refusal = crossSiteRefusal(request);
  if (refusal) return refuse(request, "cross_site_request", refusal);

  const contentType = request.headers.get("content-type");
  const mediaType = contentType?.split(";", 1)[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    return refuse(
      request,
      "unsupported_media_type",
      contentType
        ? `API calls must be sent as JSON (Content-Type: application/json), not ${mediaType}.`
        : "API calls must be sent as JSON (Content-Type: application/json); this request has no Content-Type.",
    );
  }

  const tooLarge = `The request body is larger than ${formatBytes(TRPC_MAX_BODY_BYTES)}, the most one API call may send. Upload files through the file routes.`;
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > TRPC_MAX_BODY_BYTES) {
    if (declared <= DRAIN_BYTES) await drain(request.body, 0);
    return refuse(request, "payload_too_large", tooLarge);
  }
  const body = await readAtMost(request.body, TRPC_MAX_BODY_BYTES);
  if (!body) return refuse(request, "payload_too_large", tooLarge);
  return {
    request: new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: body as Uint8Array<ArrayBuffer>,
      signal: request.signal,
    }),
    error: null,
  };
}

/**
 * A refused request reaches tRPC as a body-less JSON request with the same path, so tRPC
 * parses nothing the client sent and answers `error` in its shape for each call.
 */
function refuse(request: Request, code: AppErrorCode, message: string): Admission {
  const stateChanging = isStateChanging(request.method);
  return {
    request: new Request(request.url, {
      method: stateChanging ? "POST" : request.method,
      headers: stateChanging ? { "content-type": "application/json" } : {},
    }),
    error: toTRPCError(new AppError(code, message)),
  };
}

/** The whole body, or null (the rest drained) once it passes `limit` bytes. */
async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | null> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.releaseLock();
      await drain(body, total);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

async function drain(body: ReadableStream<Uint8Array> | null, alreadyRead: number) {
  if (!body) return;
  const reader = body.getReader();
  let total = alreadyRead;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > DRAIN_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The client went away; nothing to answer.
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}
