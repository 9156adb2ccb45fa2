// The API as the production web server (apps/web/server.mjs) serves it: on node:http in front of
// Next.js, so an API call does not pay for Next.js's routing and App Router request handling
// (measured: about half of a status poll's CPU; README "Performance"). The same handler as the
// route files under apps/web/src/app/api (which `next dev` keeps using): the same checks, the same
// context, the session read from next-auth's cookie as getServerSession reads it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSessionCookieReader } from "../auth/session-cookie";
import { type Db, getDb } from "../db";
import { env } from "../env";
import { FILE_ROUTE_PATHS, TRPC_PATH } from "./file-routes";
import { createApiHandler, nodeListener } from "./handler";
import { createQueryLane } from "./query-lane";

export interface ProductionApiOptions {
  db?: Db;
  /** API_MAX_IN_FLIGHT by default. */
  maxInFlight?: number;
}

/** Seconds a shed client is asked to wait (Retry-After). */
const RETRY_AFTER_S = 1;

const FILE_PATHS = new Set<string>(Object.values(FILE_ROUTE_PATHS));

export function createProductionApi(options: ProductionApiOptions = {}) {
  const db = options.db ?? getDb();
  const getSession = createSessionCookieReader();
  const api = createApiHandler({ db, getSession });
  const queryLane = createQueryLane({
    db,
    getSession,
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR")
        console.error(`tRPC ${path} failed`, error.cause ?? error);
    },
  });
  const maxInFlight = options.maxInFlight ?? env().API_MAX_IN_FLIGHT;
  let inFlight = 0;

  // Only tRPC calls count: they are the flood a crowd of polling pages makes, while the file
  // routes have limits of their own (upload sizes and rate per user) and a long upload or
  // download must not hold a place that a poll needs.
  const general = nodeListener(async (request) => {
    if (!new URL(request.url).pathname.startsWith(TRPC_PATH)) return api(request);
    if (inFlight >= maxInFlight) {
      const response = await api(request, {
        code: "unavailable",
        message: `The server is busy; try again in ${RETRY_AFTER_S} s.`,
      });
      response.headers.set("retry-after", String(RETRY_AFTER_S));
      return response;
    }
    inFlight++;
    try {
      return await api(request);
    } finally {
      inFlight--;
    }
  });

  return {
    /** Whether this path is the API's (everything else is Next.js's). */
    handles(pathname: string): boolean {
      return (
        pathname === TRPC_PATH || pathname.startsWith(`${TRPC_PATH}/`) || FILE_PATHS.has(pathname)
      );
    },
    async listener(req: IncomingMessage, res: ServerResponse): Promise<void> {
      // Plain queries (the polls) take the lane; a request it leaves untouched, and one that
      // would pass the in-flight limit (answered 503 below), goes the general way.
      if (inFlight < maxInFlight) {
        inFlight++;
        let served = false;
        try {
          served = await queryLane(req, res);
        } finally {
          inFlight--;
        }
        if (served) return;
      }
      return general(req, res);
    },
    get inFlight() {
      return inFlight;
    },
  };
}
