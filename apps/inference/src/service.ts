// Composes the service from its parts; main.ts and the tests both build it here.
import type { Db } from "@studio/db/client";
import type { FastifyInstance } from "fastify";
import type { InferenceEnv } from "./env";
import { Limiter } from "./limiter";
import type { Logger } from "./logger";
import { createMetrics, type Metrics, type QueueCounts } from "./metrics";
import { ModelStore, modelSettings, openWeightFile } from "./models";
import { NodeFiles } from "./node-files";
import { NodeRegistration } from "./node-registry";
import { ortInfo } from "./ort";
import { PreviewPool } from "./preview/pool";
import { RenditionMaker } from "./renditions/maker";
import { convertRoutes } from "./routes/convert";
import { int8Routes } from "./routes/int8";
import { opsRoutes } from "./routes/ops";
import { previewRoutes } from "./routes/preview";
import { renditionRoutes } from "./routes/renditions";
import { validateRoutes } from "./routes/validate";
import { buildServer } from "./server";
import { cudaUsable } from "./system";
import { TaskWorker } from "./worker/worker";

export interface Service {
  app: FastifyInstance;
  metrics: Metrics;
  /** Sessions of the task worker when it runs in this process (previews have their own). */
  models: ModelStore;
  worker: TaskWorker;
  /** The processes that compute previews; closed with the HTTP app. */
  previewPool: PreviewPool;
  /** Renditions of images (POST /v1/renditions). */
  renditions: RenditionMaker;
  /** This process's way to the blob store; closed by whoever made it (see createService). */
  files: NodeFiles;
  /** Registers this process as a node of the installation, once it listens on `port`. */
  joinRegistry(port: number): Promise<NodeRegistration>;
}

async function queueCounts(db: Db): Promise<QueueCounts> {
  const [groups, depth] = await Promise.all([
    db.task.groupBy({ by: ["status"], _count: { _all: true } }),
    db.task.count({ where: { status: "queued", availableAt: { lte: new Date() } } }),
  ]);
  return {
    byStatus: Object.fromEntries(groups.map((g) => [g.status, g._count._all])),
    depth,
  };
}

/** Builds the HTTP API and the (not yet started) worker around one store client. */
export async function createService(options: {
  config: InferenceEnv;
  logger: Logger;
  db: Db;
  /** Running tasks when the worker lives in another process (default: the inline worker's). */
  workerRunning?: () => number;
  /** Weights that other worker process holds loaded (default: the inline worker's models). */
  workerWeights?: () => readonly string[];
  /**
   * The blob store access to use (a restarted test service keeps its own); by default one is
   * opened for this process ("server" cache folder). Either way the caller closes it
   * (`service.files.close()`) once the app and the inline worker have stopped.
   */
  files?: NodeFiles;
}): Promise<Service> {
  const { config, logger, db } = options;
  const files =
    options.files ??
    (await NodeFiles.open({
      dataDir: config.DATA_DIR,
      blob: config.BLOB,
      cacheMb: config.BLOB_CACHE_MB,
      role: "server",
    }));
  const metrics = createMetrics({ queueCounts: () => queueCounts(db) });
  const models = new ModelStore({
    ...modelSettings(config),
    metrics,
    openWeight: (sha256) => openWeightFile(files, sha256),
  });
  const worker = new TaskWorker({ db, logger, config, models, files, metrics });
  const workerRunning = () => options.workerRunning?.() ?? worker.runningCount;
  const previews = new Limiter(config.PREVIEW_MAX_CONCURRENT, 0);
  const previewPool = new PreviewPool({
    size: previews.limit,
    settings: {
      ...modelSettings(config),
      maxImagePixels: config.MAX_IMAGE_PIXELS,
      outputCacheBytes: config.PREVIEW_OUTPUT_CACHE_MB * 1024 * 1024,
      imageCacheBytes: config.PREVIEW_IMAGE_CACHE_MB * 1024 * 1024,
    },
    idleReleaseMs: config.PREVIEW_SESSION_IDLE_RELEASE_MS,
    logger,
    metrics,
  });
  const renditions = new RenditionMaker({
    files,
    maxPixels: config.MAX_IMAGE_PIXELS,
    logger,
  });
  const app = await buildServer({
    config,
    logger,
    pingStore: async () => {
      await db.$queryRaw`SELECT 1 FROM "Task" LIMIT 1`;
    },
    files,
    onResponse: (route, method, status, seconds) =>
      metrics.httpDuration.observe({ route, method, status: String(status) }, seconds),
    routes: [
      previewRoutes({ config, db, files, pool: previewPool, limiter: previews, metrics }),
      validateRoutes({ config, db, files, metrics }),
      convertRoutes({ config, files, metrics }),
      int8Routes({ config, files }),
      renditionRoutes({ maker: renditions }),
      opsRoutes({
        metrics,
        system: () => ({
          worker: {
            enabled: config.WORKER_ENABLED,
            concurrency: config.WORKER_CONCURRENCY,
            ortIntraOpThreads: config.ORT_INTRA_OP_THREADS,
            running: workerRunning(),
          },
          preview: { running: previews.running, limit: previews.limit },
          storage: { kind: files.kind, description: files.store.description },
          queue: async () => {
            const counts = await queueCounts(db);
            return { queued: counts.byStatus.queued ?? 0, running: counts.byStatus.running ?? 0 };
          },
        }),
      }),
    ],
  });
  // Fastify runs this once the server has stopped and answered the requests in flight.
  app.addHook("onClose", () => previewPool.close());
  async function joinRegistry(port: number): Promise<NodeRegistration> {
    const providers = (await ortInfo().catch(() => undefined))?.providers.map((p) => p.name) ?? [];
    const node = new NodeRegistration({
      db,
      config,
      logger,
      port,
      // onnxruntime lists CUDA even where it cannot run it: the device /v1/system reports.
      device: config.INFERENCE_DEVICE !== "cpu" && (await cudaUsable()) ? "cuda" : "cpu",
      providers,
      load: () => ({
        load: previews.running + workerRunning(),
        weights: [
          ...new Set([
            ...previewPool.cachedWeights,
            ...(options.workerWeights?.() ?? models.cache.keys()),
          ]),
        ],
      }),
    });
    await node.start();
    return node;
  }
  return { app, metrics, models, worker, previewPool, renditions, files, joinRegistry };
}
