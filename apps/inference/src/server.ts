import { LocalBlobStore } from "@studio/blob/local";
import type { HealthResponse } from "@studio/contracts/inference/system";
import { DEFAULT_MAX_PIXELS } from "@studio/core/image";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { ZodError } from "zod";
import type { InferenceEnv } from "./env";
import { registerAuth } from "./http/auth";
import { fromBlobError } from "./http/blob-errors";
import { HttpError } from "./http/errors";
import { checkReadiness } from "./http/ready";
import { ImageChecker } from "./images/checker";
import type { Logger } from "./logger";
import { NodeFiles } from "./node-files";
import { imageCheckRoutes } from "./routes/images";
import { SERVICE_VERSION } from "./version";

/** A route module: gets the app after auth and error handling are in place. */
export type RouteModule = (app: FastifyInstance) => void | Promise<void>;

export interface ServerDeps {
  config: Pick<InferenceEnv, "DATA_DIR" | "INFERENCE_TOKEN" | "BODY_LIMIT_BYTES"> &
    Partial<Pick<InferenceEnv, "MAX_IMAGE_PIXELS">>;
  logger: Logger;
  pingStore: () => Promise<void>;
  /**
   * This process's way to the blob store (checked by /ready, read by the image check); the
   * local store under DATA_DIR when not given.
   */
  files?: NodeFiles;
  /** Further endpoints (preview, validation, metrics, system), each added when wired. */
  routes?: RouteModule[];
  /**
   * The upload check (POST /v1/images/check); made from `files` and MAX_IMAGE_PIXELS when not
   * given. Tests pass their own to watch it.
   */
  imageChecker?: ImageChecker;
  /** Observes every finished request (metrics). */
  onResponse?: (route: string, method: string, status: number, seconds: number) => void;
}

/** The HTTP API as a Fastify instance, not yet listening: tests bind it to port 0. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const startedAt = Date.now();
  const files =
    deps.files ??
    (await NodeFiles.around(new LocalBlobStore(deps.config.DATA_DIR), {
      dataDir: deps.config.DATA_DIR,
      cacheMb: 0,
      role: "server",
    }));
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    // One line per request is written by the onResponse hook below, with the route pattern.
    logController: new LogController({ disableRequestLogging: true }),
    // Keeps one slow client from holding a socket forever; previews and validation have their
    // own, longer limits inside the handlers.
    requestTimeout: 120_000,
  });

  app.setErrorHandler((raw, request, reply) => {
    // The store's own errors (missing object, store down) answer in the caller's terms.
    const error = fromBlobError(raw) as typeof raw;
    if (error instanceof HttpError) {
      if (error.code === "unavailable" && raw !== error) {
        request.log.warn({ err: raw }, "blob store unavailable");
      }
      return reply.status(error.status).headers(error.headers).send(error.body());
    }
    if (error instanceof ZodError) {
      return reply.status(400).send({
        error: { code: "bad_request", message: "invalid request", details: error.issues },
      });
    }
    const { statusCode: status, message } = error as Error & { statusCode?: number };
    if (status === 413) {
      return reply.status(413).send({ error: { code: "payload_too_large", message } });
    }
    if (status && status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: "bad_request", message } });
    }
    request.log.error({ err: error }, "request failed");
    return reply.status(500).send({ error: { code: "internal", message: "internal error" } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: "not_found", message: `no route ${request.method} ${request.url}` } }),
  );

  registerAuth(app, deps.config.INFERENCE_TOKEN);

  // A request already running when close() starts keeps its keep-alive socket open afterwards,
  // and the server waits for it until the keep-alive timeout (72 s): a preview in flight at
  // SIGTERM would hold up the shutdown that long. Such answers close their connection instead.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    const seconds = reply.elapsedTime / 1000;
    deps.onResponse?.(route, request.method, reply.statusCode, seconds);
    if (route !== "/health") {
      request.log.info(
        {
          method: request.method,
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        "request",
      );
    }
  });

  app.get(
    "/health",
    async (): Promise<HealthResponse> => ({
      status: "ok",
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      version: SERVICE_VERSION,
    }),
  );

  app.get("/ready", async (_request, reply) => {
    const report = await checkReadiness({
      dataDir: deps.config.DATA_DIR,
      pingStore: deps.pingStore,
      blobStore: files.store,
    });
    return reply.status(report.ready ? 200 : 503).send(report);
  });

  // Every upload of the web app passes this check, so every instance of the service answers it,
  // whatever further routes it is built with.
  const checker =
    deps.imageChecker ??
    new ImageChecker({
      files,
      maxPixels: deps.config.MAX_IMAGE_PIXELS ?? DEFAULT_MAX_PIXELS,
    });
  await imageCheckRoutes({ checker })(app);

  for (const route of deps.routes ?? []) await route(app);
  return app;
}
