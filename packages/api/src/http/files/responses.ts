import type { AppErrorCode } from "@studio/contracts/errors";
import { AppError, toClientError } from "../../errors";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * `{ error: { code, message, details? } }` with the code's HTTP status: the same codes as the
 * tRPC answers' `data.appCode`, in the inference service's shape.
 */
export function errorResponse(code: AppErrorCode, message: string, details?: unknown): Response {
  const error = new AppError(code, message, { details });
  return json(error.body(), error.status);
}

/**
 * Turns any error of a file route into a response; unexpected errors say nothing about their
 * cause (which may hold paths or SQL) and are logged instead.
 */
export function toErrorResponse(error: unknown): Response {
  const app = toClientError(error);
  if (app && app.code !== "internal") return json(app.body(), app.status);
  console.error("file route failed", error);
  return errorResponse("internal", "Internal server error.");
}

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266/5987). */
export function contentDisposition(fileName: string, inline = false): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${inline ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
