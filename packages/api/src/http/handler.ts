import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { StudioSession } from "../auth/next-auth";
import { createTRPCContext } from "../context";
import type { Db } from "../db";
import { downloadFile } from "../files/download";
import { uploadArchive } from "../files/upload-archive";
import { uploadImage } from "../files/upload-image";
import { uploadWeight } from "../files/upload-weight";
import type { InferenceClient } from "../inference";
import { appRouter } from "../root";

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
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/api/trpc")) {
      return fetchRequestHandler({
        endpoint: "/api/trpc",
        req: request,
        router: appRouter,
        createContext: () => context(request),
        onError({ error, path }) {
          if (error.code === "INTERNAL_SERVER_ERROR")
            console.error(`tRPC ${path ?? "?"} failed`, error.cause ?? error);
        },
      });
    }
    if (pathname === "/api/files/images") return uploadImage(request, await context(request));
    if (pathname === "/api/files/archives") return uploadArchive(request, await context(request));
    if (pathname === "/api/files/weights") return uploadWeight(request, await context(request));
    if (pathname === "/api/files/download") return downloadFile(request, await context(request));
    return new Response(
      JSON.stringify({ error: { code: "not_found", message: "No such route." } }),
      {
        status: 404,
        headers: { "content-type": "application/json" },
      },
    );
  };
}

function toRequest(req: IncomingMessage): Request {
  const url = `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: "half",
  } as RequestInit);
}

async function send(res: ServerResponse, response: Response) {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) return void res.end();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
  }
  res.end();
}

/** Serves a fetch handler on node:http (127.0.0.1, port 0 = any free port). */
export async function serveNode(
  handler: (request: Request) => Promise<Response>,
  options: { port?: number; host?: string } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handler(toRequest(req))
      .then((response) => send(res, response))
      .catch((error: unknown) => {
        console.error("request failed", error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    server,
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
