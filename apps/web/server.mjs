// The web app's production server (`pnpm --filter @studio/web start`, `npm start`): Next.js's
// request handler on a node:http server that this process owns. `next start` run through
// pnpm/npx layers never saw a stop signal; here SIGTERM or SIGINT stops accepting connections,
// closes idle keep-alive connections, lets requests in flight finish for up to
// SHUTDOWN_GRACE_MS, then cuts the rest and exits 0. The API (/api/trpc and the file routes) is
// served here ahead of Next.js, by @studio/api's own node:http handler, which the hot path of
// every polling page and client needs (see @studio/api/http/production); everything else goes to
// Next.js. Plain JavaScript so that node runs it without a loader; the API's TypeScript sources
// are loaded through tsx, as the inference service runs its own.
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
/** Requests still running this long after a stop signal are cut off. */
export const SHUTDOWN_GRACE_MS = 10_000;
/**
 * The address of the connection, for the API's per-address limits. Set here from the socket and
 * never taken from the client: whatever a client sends under this name is dropped.
 */
export const CLIENT_ADDRESS_HEADER = "x-studio-client-address";

/** Replaces any client-sent client-address header with the socket's own address. */
export function setClientAddress(req) {
  delete req.headers[CLIENT_ADDRESS_HEADER];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i].toLowerCase() === CLIENT_ADDRESS_HEADER) raw.splice(i, 2);
  }
  const address = req.socket.remoteAddress;
  if (address) {
    req.headers[CLIENT_ADDRESS_HEADER] = address;
    raw.push(CLIENT_ADDRESS_HEADER, address);
  }
}

/**
 * An http.Server around `handle` with a graceful `shutdown(graceMs)`: no new connections, idle
 * keep-alive connections closed at once, busy ones closed as soon as their answer is sent, and
 * whatever is still open after `graceMs` destroyed. Resolves true when nothing had to be cut.
 */
export function createWebServer(handle, { onError = (error) => console.error(error) } = {}) {
  const inFlight = new Set();
  let closing = false;
  const server = http.createServer((req, res) => {
    setClientAddress(req);
    inFlight.add(res);
    if (closing) res.setHeader("connection", "close");
    res.once("close", () => {
      inFlight.delete(res);
      // The connection this answer used is idle now; a stopping server lets it go.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    Promise.resolve(handle(req, res)).catch((error) => {
      onError(error);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end("Internal Server Error");
      } else res.destroy();
    });
  });

  // Behind a load balancer (several web processes), the balancer must drop an idle connection
  // before this server does, or a request it sends just then meets a closed socket (a 502):
  // balancers close idle connections after 60 s by default, so this server waits longer.
  server.keepAliveTimeout = 65_000;

  function shutdown(graceMs = SHUTDOWN_GRACE_MS) {
    closing = true;
    // Answers not yet started tell the client this connection ends with them.
    for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        server.closeAllConnections();
        resolve(false);
      }, graceMs);
      server.close(() => {
        clearTimeout(timer);
        resolve(true);
      });
      server.closeIdleConnections();
    });
  }

  return {
    server,
    shutdown,
    get inFlight() {
      return inFlight.size;
    },
  };
}

/**
 * One request handler for the process: API paths to the API, the rest to Next.js.
 * @param {{ handles(pathname: string): boolean, listener(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> } | null} api
 * @param {(req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>} nextHandler
 */
export function routeRequests(api, nextHandler) {
  return (req, res) => {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const pathname = query === -1 ? url : url.slice(0, query);
    return api?.handles(pathname) ? api.listener(req, res) : nextHandler(req, res);
  };
}

/** @studio/api's production handler (TypeScript sources, loaded through tsx). */
async function loadApi() {
  const { tsImport } = await import("tsx/esm/api");
  const { createProductionApi } = await tsImport("@studio/api/http/production", import.meta.url);
  return createProductionApi();
}

function readSettings(env) {
  const port = Number(env.WEB_PORT ?? "3000");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`WEB_PORT must be a port number from 0 to 65535, got "${env.WEB_PORT}"`);
  }
  const host = env.WEB_HOST || "127.0.0.1";
  return { port, host };
}

function log(message) {
  console.log(`[web] ${message}`);
}

async function main() {
  let settings;
  try {
    settings = readSettings(process.env);
  } catch (error) {
    log(error.message);
    process.exit(1);
  }
  // As `next start` does; must be set before Next.js is loaded.
  process.env.NODE_ENV ??= "production";
  process.env.NEXT_TELEMETRY_DISABLED ??= "1";

  let stopping = false;
  let web;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping (requests in flight get up to ${SHUTDOWN_GRACE_MS / 1000} s)`);
    const clean = web ? await web.shutdown(SHUTDOWN_GRACE_MS) : true;
    log(clean ? "stopped" : "stopped; requests still running were cut off");
    // The API's store client and timers would keep the process alive; nothing is left to do.
    process.exit(0);
  };
  for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => void stop(signal));
  // Started by scripts/start.mjs with an IPC channel: if that supervisor is killed outright,
  // the channel closes and this server stops instead of running on unsupervised.
  if (process.connected) process.on("disconnect", () => void stop("supervisor gone"));

  const { default: next } = await import("next");
  const app = next({ dev: false, dir: WEB_DIR, hostname: settings.host, port: settings.port });
  try {
    await app.prepare();
  } catch (error) {
    log(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
    log("build the web app first: `pnpm build` (npm start builds it)");
    process.exit(1);
  }
  if (stopping) return;
  // After prepare(): Next.js has loaded the .env files by then, and the API reads its settings.
  let api;
  try {
    api = await loadApi();
  } catch (error) {
    log(`cannot load the API: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  if (stopping) return;
  web = createWebServer(routeRequests(api, app.getRequestHandler()));
  web.server.on("error", (error) => {
    log(
      error.code === "EADDRINUSE"
        ? `port ${settings.port} on ${settings.host} is already in use; set WEB_PORT to a free port`
        : `cannot listen on ${settings.host}:${settings.port}: ${error.message}`,
    );
    process.exit(1);
  });
  web.server.listen(settings.port, settings.host, () => {
    const address = web.server.address();
    const port = typeof address === "object" && address ? address.port : settings.port;
    log(
      `listening on http://${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${port}`,
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
