// The production server's lane for plain tRPC queries over GET: what every polling page and
// `waitForTask` send (tasks.status, tasks.get). It answers exactly what tRPC's own HTTP handler
// answers (same procedures with their middleware: authentication, membership, authorisation,
// input and output validation; the same error shapes, status codes and body; held to that by
// query-lane.test.ts), but from node:http directly: tRPC's `resolveResponse` needs a Web
// `Request` and returns a Web `Response`, and building those (headers, abort signals, body
// streams) plus its general request resolution (batching, streaming, subscriptions, method
// override) was over half of a status poll's CPU (README "Performance"). Everything this lane
// does not serve (mutations, streaming or subscription calls, malformed input, unknown paths)
// goes to the general handler, which answers it in tRPC's words.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import {
  type AnyTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  type TRPCError,
  transformTRPCResponse,
} from "@trpc/server";
import { getHTTPStatusCode } from "@trpc/server/http";
import type { StudioSession } from "../auth/next-auth";
import { type Context, createTRPCContext, type HeaderReader } from "../context";
import type { Db } from "../db";
import { rememberedForImmutable } from "../immutable-answers";
import type { InferenceClient } from "../inference";
import { appRouter } from "../root";
import { TRPC_PATH } from "./file-routes";
import { API_SECURITY_HEADERS } from "./guards";
import { TRPC_MAX_BATCH_SIZE } from "./limits";

export interface QueryLaneOptions {
  db: Db;
  inference?: InferenceClient;
  getSession?: (request: { headers: HeaderReader }) => Promise<StudioSession | null>;
  onError?: (failure: { error: TRPCError; path: string }) => void;
}

/** The request's headers as the context reads them, without building a Web `Headers`. */
class NodeHeaders implements HeaderReader {
  constructor(private readonly headers: IncomingHttpHeaders) {}
  get(name: string): string | null {
    const value = this.headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }
}

/** What tRPC answers besides the body (resolveResponse sets `vary`; guards.ts the rest). */
const RESPONSE_HEADERS = {
  vary: "trpc-accept, accept",
  "content-type": "application/json",
  ...API_SECURITY_HEADERS,
};

type CallResult = { result: { data: unknown } } | { error: unknown };

/**
 * A node:http handler that serves the request and resolves true, or leaves it untouched (nothing
 * written) and resolves false for the general handler to serve.
 */
export function createQueryLane(options: QueryLaneOptions) {
  const config = appRouter._def._config;
  // Keyed by dotted path ("tasks.status"), as tRPC's own lookup reads it.
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    AnyTRPCProcedure | undefined
  >;
  const deserialize = (value: unknown) => config.transformer.input.deserialize(value);
  const prefix = `${TRPC_PATH}/`;
  // A kept answer handed out again (immutable-answers.ts) is written as it was the first time.
  const successBody = rememberedForImmutable((data) =>
    JSON.stringify(transformTRPCResponse(config, { result: { data } } as never)),
  );

  return async function serveQuery(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? "";
    if (req.method !== "GET" || !url.startsWith(prefix)) return false;
    // tRPC's streaming (httpBatchStreamLink) and subscription protocols.
    if (req.headers["trpc-accept"] !== undefined) return false;
    const queryAt = url.indexOf("?");
    const search = new URLSearchParams(queryAt === -1 ? "" : url.slice(queryAt + 1));
    if (search.has("connectionParams")) return false;
    const batch = search.get("batch") === "1";
    let paths: string[];
    let inputs: unknown[];
    try {
      const path = decodeURIComponent(
        url.slice(prefix.length, queryAt === -1 ? undefined : queryAt),
      );
      paths = batch ? path.split(",") : [path];
      if (paths.length > TRPC_MAX_BATCH_SIZE) return false;
      const text = search.get("input");
      const raw: unknown = text ? JSON.parse(text) : undefined;
      if (!batch) {
        inputs = [raw === undefined ? undefined : deserialize(raw)];
      } else {
        if (raw !== undefined && (typeof raw !== "object" || raw === null || Array.isArray(raw))) {
          return false;
        }
        const byIndex = (raw ?? {}) as Record<string, unknown>;
        inputs = paths.map((_, index) =>
          byIndex[index] === undefined ? undefined : deserialize(byIndex[index]),
        );
      }
    } catch {
      // A malformed path or input: the general handler answers it as tRPC words it.
      return false;
    }
    const calls = paths.map((path) => procedures[path]);
    if (calls.some((procedure) => procedure?._def.type !== "query")) return false;

    const headers = new NodeHeaders(req.headers);
    const { getSession } = options;
    let ctx: Context;
    try {
      ctx = await createTRPCContext({
        db: options.db,
        inference: options.inference,
        headers,
        getSession: async () => (getSession ? getSession({ headers }) : null),
      });
    } catch {
      // tRPC answers a context that failed to build per call; the general handler does that.
      return false;
    }

    const results = await Promise.all(
      calls.map(async (procedure, index): Promise<CallResult> => {
        const path = paths[index] as string;
        const input = inputs[index];
        try {
          const data = await (procedure as AnyTRPCProcedure)({
            path,
            ctx,
            type: "query",
            getRawInput: async () => input,
            signal: undefined,
            batchIndex: index,
          });
          return { result: { data } };
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          options.onError?.({ error, path });
          return { error: getTRPCErrorShape({ config, ctx, error, input, path, type: "query" }) };
        }
      }),
    );
    const answer = batch ? results : (results[0] as CallResult);
    res.writeHead(
      getHTTPStatusCode(answer as Parameters<typeof getHTTPStatusCode>[0]),
      RESPONSE_HEADERS,
    );
    res.end(
      "result" in answer
        ? successBody(answer.result.data)
        : JSON.stringify(transformTRPCResponse(config, answer as never)),
    );
    return true;
  };
}
