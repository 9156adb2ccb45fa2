import type { AppErrorCode } from "@studio/contracts/errors";
import formatContentDisposition from "content-disposition";
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

/**
 * `Content-Disposition` with the UTF-8 name (RFC 6266 / RFC 5987, by the `content-disposition`
 * package) and our own ASCII fallback for clients that ignore `filename*`: the package's fallback
 * turns every non-Latin-1 character into "?", which loses a Chinese stem entirely; this one keeps
 * what it can (accents dropped, "é" -> "e"; other characters outside printable ASCII, quotes,
 * backslashes and "%" become "_"), so the extension and any ASCII part survive.
 */
export function contentDisposition(fileName: string, inline = false): string {
  const fallback = fileName
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]+/g, "_")
    .replace(/["\\%]/g, "_");
  return formatContentDisposition(fileName, {
    type: inline ? "inline" : "attachment",
    fallback,
  });
}
