import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { StudioSession } from "../auth/next-auth";
import { CLIENT_ADDRESS_HEADER } from "../auth/rate-limit";
import { createTRPCContext } from "../context";
import type { Db } from "../db";
import type { InferenceClient } from "../inference";
import { FILE_ROUTE_PATHS, type FileRouteName, TRPC_PATH } from "./file-routes";
import { errorResponse } from "./files/responses";
import { FILE_ROUTE_HANDLERS } from "./files/routes";
import { serveFileRoute, withSecurityHeaders } from "./guards";
import { handleTrpcRequest, type Refusal } from "./trpc-handler";

export interface ApiHandlerOptions {
  db: Db;
  inference?: InferenceClient;
  /** next-auth session lookup; without it only API tokens authenticate. */
  getSession?: (request: Request) => Promise<StudioSession | null>;
}

/**
 * The whole API as one Web fetch handler, at the paths apps/web uses: /api/trpc/*,
 * /api/files/images, /api/files/archives, /api/files/weights, /api/files/download. For tests, benchmarks and
 * token-only deployments; the Next.js app mounts the same pieces in its route handlers.
 */
export function createApiHandler(options: ApiHandlerOptions) {
  const context = (request: Request) =>
    createTRPCContext({
      db: options.db,
      inference: options.inference,
      headers: request.headers,
      getSession: async () => (options.getSession ? options.getSession(request) : null),
    });
  const fileRoutes = new Map(
    (Object.keys(FILE_ROUTE_PATHS) as FileRouteName[]).map((name) => [
      FILE_ROUTE_PATHS[name] as string,
      FILE_ROUTE_HANDLERS[name],
    ]),
  );
  /** `refusal`: answer it instead of serving the request (see TrpcHandlerOptions.refusal). */
  return async (request: Request, refusal?: Refusal): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith(TRPC_PATH)) {
      return handleTrpcRequest(request, {
        db: options.db,
        inference: options.inference,
        getSession: options.getSession,
        refusal,
        onError({ error, path }) {
          if (error.code === "INTERNAL_SERVER_ERROR")
            console.error(`tRPC ${path ?? "?"} failed`, error.cause ?? error);
        },
      });
    }
    const route = fileRoutes.get(pathname);
    if (route && refusal) return withSecurityHeaders(errorResponse(refusal.code, refusal.message));
    if (route) return serveFileRoute(request, context, route);
    return withSecurityHeaders(errorResponse("not_found", "No such route."));
  };
}

function toRequest(req: IncomingMessage): Request {
  const url = `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  // The peer address as the socket saw it, for per-address limits (auth/rate-limit.ts); a
  // client's own value of this header is never passed on.
  headers.delete(CLIENT_ADDRESS_HEADER);
  if (req.socket.remoteAddress) headers.set(CLIENT_ADDRESS_HEADER, req.socket.remoteAddress);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? lazyBody(req) : undefined,
    duplex: "half",
  } as RequestInit);
}

/**
 * The request body as a web stream that reads from the socket only when pulled. A handler that
 * answers without reading all of it (a refused upload) cancels it: what is still in flight is
 * read and dropped, never answered by destroying the socket, and `send` tells the client that
 * this connection closes, so the client reads the answer and does not reuse a half-read socket
 * for its next request.
 */
function lazyBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on("data", (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(new Uint8Array(chunk));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once("end", () => {
          if (open) controller.close();
          open = false;
        });
        req.once("error", (error) => {
          if (open) controller.error(error);
          open = false;
        });
        req.pause();
      },
      pull() {
        req.resume();
      },
      cancel() {
        open = false;
        req.resume();
      },
    },
    { highWaterMark: 0 },
  );
}

async function send(req: IncomingMessage, res: ServerResponse, response: Response) {
  if (!req.complete) res.setHeader("connection", "close");
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) return void res.end();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
  }
  res.end();
}

/** A fetch handler as a node:http request listener. */
export function nodeListener(handler: (request: Request) => Promise<Response>) {
  return (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    handler(toRequest(req))
      .then((response) => send(req, res, response))
      .catch((error: unknown) => {
        console.error("request failed", error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
}

/** Serves a fetch handler on node:http (127.0.0.1, port 0 = any free port). */
export async function serveNode(
  handler: (request: Request) => Promise<Response>,
  options: { port?: number; host?: string } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const listener = nodeListener(handler);
  const server = createServer((req, res) => void listener(req, res));
  // A keep-alive connection the server drops after an idle spell races a client that picks the
  // same connection for its next request at that moment: the request meets a reset (seen as
  // ECONNRESET on a 62 MB upload). undici follows the server's announced idle time minus a
  // margin, but its timer cannot fire while the caller's event loop is blocked, and a test
  // that builds a big fixture synchronously blocks the in-process server's loop too. A minute
  // of idle time puts that race beyond any such pause (the default is 5 s).
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    server,
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    // close() drops idle keep-alive connections at once; a response still being sent at that
    // moment would keep its connection open for the whole idle time above once it is done, so
    // that time is cut to nothing first.
    close: () =>
      new Promise<void>((resolve) => {
        server.keepAliveTimeout = 1;
        server.close(() => resolve());
      }),
  };
}
