import { authOptions } from "@studio/api/auth";
import { authenticateRequest } from "@studio/api/files";
import { getDb } from "@studio/db/client";
import { getServerSession } from "next-auth";

/** The same authentication as tRPC (session cookie or bearer token) for a file route. */
export function requestContext(request: Request) {
  return authenticateRequest(request, {
    db: getDb(),
    getSession: () => getServerSession(authOptions),
  });
}
