import { authOptions } from "@studio/api/auth";
import { handleTrpcRequest } from "@studio/api/http/trpc";
import { getServerSession } from "next-auth";
import { env } from "~/env";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The same handler as @studio/api's createApiHandler: origin, content type, batch and body
// limits are checked there, once.
function handler(request: Request) {
  return handleTrpcRequest(request, {
    getSession: () => getServerSession(authOptions),
    onError:
      env.NODE_ENV === "development"
        ? ({ path, error }) => console.error(`tRPC failed on ${path ?? "<no-path>"}:`, error)
        : undefined,
  });
}

export { handler as GET, handler as POST };
