import { appRouter, createTRPCContext } from "@studio/api";
import { authOptions } from "@studio/api/auth";
import { getDb } from "@studio/db/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getServerSession } from "next-auth";
import { env } from "~/env";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () =>
      createTRPCContext({
        headers: req.headers,
        db: getDb(),
        getSession: () => getServerSession(authOptions),
      }),
    onError:
      env.NODE_ENV === "development"
        ? ({ path, error }) => console.error(`tRPC failed on ${path ?? "<no-path>"}:`, error)
        : undefined,
  });
}

export { handler as GET, handler as POST };
