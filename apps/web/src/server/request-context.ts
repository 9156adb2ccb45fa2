import { authOptions } from "@studio/api/auth";
import { authenticateRequest, FILE_ROUTE_HANDLERS } from "@studio/api/files";
import type { FileRouteName } from "@studio/api/http/file-routes";
import { serveFileRoute } from "@studio/api/http/guards";
import { getServerSession } from "next-auth";

/** The same authentication as tRPC (session cookie or bearer token) for a file route. */
export function requestContext(request: Request) {
  return authenticateRequest(request, {
    getSession: () => getServerSession(authOptions),
  });
}

/**
 * The file route of that name (its path in FILE_ROUTE_PATHS is this route file's place) behind the shared guards (cross-site check before the caller is resolved, API
 * security headers on the answer), exactly as @studio/api's createApiHandler serves it.
 */
export function fileRoute(name: FileRouteName) {
  const route = FILE_ROUTE_HANDLERS[name];
  return (request: Request) => serveFileRoute(request, requestContext, route);
}
