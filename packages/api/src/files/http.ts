import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { UploadError } from "./storage";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** Same shape as the inference service: `{ error: { code, message } }`. */
export function errorResponse(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

/**
 * Turns any error of a file route into a response; unexpected errors say nothing about their
 * cause (which may hold paths or SQL) and are logged instead.
 */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof UploadError) return errorResponse(error.status, error.code, error.message);
  if (error instanceof TRPCError) {
    return errorResponse(
      getHTTPStatusCodeFromError(error),
      error.code.toLowerCase(),
      error.message,
    );
  }
  console.error("file route failed", error);
  return errorResponse(500, "internal", "Internal server error.");
}

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266/5987). */
export function contentDisposition(fileName: string, inline = false): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${inline ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
