// The inference service process: HTTP API, task worker (a supervised child process by
// default, see worker/main.ts), preview processes (preview/pool.ts) and cleanup job. SIGTERM or
// SIGINT stops claiming, stops weight validations and conversions in flight (they answer 503),
// lets running tasks finish within WORKER_DRAIN_MS (then hands them back to the queue), answers
// the previews in flight, stops the preview processes, closes the store and exits 0. Every child
// process also ends by itself when this process dies, even by SIGKILL.
import { createDb } from "@studio/db/client";
import { startCleanup } from "./cleanup";
import { env } from "./env";
import { stopIsolatedRuns } from "./isolated/spawn";
import { createLogger } from "./logger";
import { createService } from "./service";
import { WorkerSupervisor } from "./worker/supervisor";

const config = env();
const { logger, close: closeLogs } = await createLogger(config, config.LOG_FILE_NAME);
const db = createDb(config.DATABASE_URL);
const separateWorker = config.WORKER_ENABLED && config.WORKER_MODE === "process";
let supervisor: WorkerSupervisor | undefined;
const service = await createService({
  config,
  logger,
  db,
  ...(separateWorker
    ? {
        workerRunning: () => supervisor?.runningCount ?? 0,
        workerWeights: () => supervisor?.loadedWeights ?? [],
      }
    : {}),
});
if (separateWorker) supervisor = new WorkerSupervisor({ logger, metrics: service.metrics });

await service.app.listen({ host: config.INFERENCE_HOST, port: config.INFERENCE_PORT });
// The first preview should not also wait for its process to start.
service.previewPool.warm();
const address = service.app.server.address();
const port = typeof address === "object" && address ? address.port : config.INFERENCE_PORT;
logger.info(
  {
    host: config.INFERENCE_HOST,
    port,
    dataDir: config.DATA_DIR,
    blobStore: service.files.store.description,
    worker: config.WORKER_ENABLED ? config.WORKER_MODE : "off",
  },
  "inference service listening",
);

let stopping = false;
// An unmigrated or unreachable store must not keep the HTTP API (and /ready) down: the worker
// keeps trying to register until it can.
async function startInlineWorker(): Promise<void> {
  while (!stopping) {
    try {
      await service.worker.start();
      return;
    } catch (error) {
      logger.error({ err: error }, "worker cannot start yet; retrying in 5 s");
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}
if (supervisor) supervisor.start();
else if (config.WORKER_ENABLED) void startInlineWorker();
// Not awaited: registering reads the execution providers and writes the store, and nothing
// (the worker, the signal handlers below) should wait for that.
const registration = service.joinRegistry(port);

const cleanup = config.CLEANUP_ENABLED
  ? startCleanup({
      files: service.files,
      db,
      maxAgeMs: config.CLEANUP_MAX_AGE_MS,
      intervalMs: config.CLEANUP_INTERVAL_MS,
      logger,
      metrics: service.metrics,
    })
  : undefined;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, drainMs: config.WORKER_DRAIN_MS }, "shutting down");
  // Not waited for: a conversion may run for minutes. Their requests answer 503 and remove
  // what they wrote, so the HTTP close below does not wait long for them either.
  stopIsolatedRuns();
  try {
    await Promise.all([
      service.app.close(),
      supervisor
        ? supervisor.stop(config.WORKER_DRAIN_MS + 15_000)
        : config.WORKER_ENABLED
          ? service.worker.stop(config.WORKER_DRAIN_MS)
          : undefined,
      cleanup?.stop(),
    ]);
    await (await registration.catch(() => undefined))?.stop();
    // Closing the app also stopped the preview processes (service.ts); the sessions left here
    // are the inline worker's, and it has stopped.
    await service.models.cache.clear();
    service.files.close();
    await db.$disconnect();
    logger.info("stopped");
    process.exitCode = 0;
  } catch (error) {
    logger.error({ err: error }, "error while shutting down");
    process.exitCode = 1;
  } finally {
    closeLogs();
    // Native thread pools or sockets must not keep a stopped service alive.
    setTimeout(() => process.exit(), 500).unref();
  }
}
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => void shutdown(signal));
}
// Started by scripts/start.mjs with an IPC channel: if that supervisor is killed outright, the
// channel closes and the service stops as on SIGTERM instead of running on unsupervised.
if (process.send !== undefined) {
  process.on("disconnect", () => void shutdown("supervisor gone"));
  if (!process.connected) void shutdown("supervisor gone");
}
