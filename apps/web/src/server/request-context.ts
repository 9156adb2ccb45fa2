import { authOptions } from "@studio/api/auth";
import { authenticateRequest } from "@studio/api/files";
import { serveFileRoute } from "@studio/api/http/guards";
import { getDb } from "@studio/db/client";
import { getServerSession } from "next-auth";

/** The same authentication as tRPC (session cookie or bearer token) for a file route. */
export function requestContext(request: Request) {
  return authenticateRequest(request, {
    db: getDb(),
    getSession: () => getServerSession(authOptions),
  });
}

/**
 * A file route behind the shared guards (cross-site check before the caller is resolved, API
 * security headers on the answer), exactly as @studio/api's createApiHandler serves it.
 */
export function fileRoute(route: Parameters<typeof serveFileRoute>[2]) {
  return (request: Request) => serveFileRoute(request, requestContext, route);
}
