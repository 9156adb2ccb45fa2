import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { HttpError } from "./errors";

/** Routes anyone may call: liveness must work for probes that hold no secret. */
const PUBLIC_PATHS = new Set(["/health"]);

// Hashing both sides first gives equal-length buffers, so the comparison takes the same time
// whatever the length or content of what was sent.
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(expected), digest(presented));
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}

/** Requires `Authorization: Bearer <token>` on every route but /health. */
export function registerAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) {
    app.log.warn("INFERENCE_TOKEN is not set: the HTTP API accepts unauthenticated calls");
    return;
  }
  app.addHook("onRequest", async (request) => {
    const pathname = request.url.split("?", 1)[0] ?? "";
    if (PUBLIC_PATHS.has(pathname)) return;
    if (!tokenMatches(token, bearer(request.headers.authorization))) {
      throw new HttpError(401, "unauthorized", "missing or wrong inference token", undefined, {
        "www-authenticate": "Bearer",
      });
    }
  });
}
