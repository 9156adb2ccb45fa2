// The inference service process: HTTP API, task worker and cleanup job. SIGTERM or SIGINT
// stops claiming, lets running tasks finish within WORKER_DRAIN_MS (then hands them back to
// the queue), closes the store and exits 0.
import { createDb } from "@studio/db/client";
import { startCleanup } from "./cleanup";
import { env } from "./env";
import { createLogger } from "./logger";
import { createService } from "./service";

const config = env();
const { logger, close: closeLogs } = await createLogger(config);
const db = createDb(config.DATABASE_URL);
const service = await createService({ config, logger, db });

await service.app.listen({ host: config.INFERENCE_HOST, port: config.INFERENCE_PORT });
const address = service.app.server.address();
const port = typeof address === "object" && address ? address.port : config.INFERENCE_PORT;
logger.info(
  { host: config.INFERENCE_HOST, port, dataDir: config.DATA_DIR, worker: config.WORKER_ENABLED },
  "inference service listening",
);
if (config.WORKER_ENABLED) await service.worker.start();
const cleanup = config.CLEANUP_ENABLED
  ? startCleanup({
      dataDir: config.DATA_DIR,
      db,
      maxAgeMs: config.CLEANUP_MAX_AGE_MS,
      intervalMs: config.CLEANUP_INTERVAL_MS,
      logger,
      metrics: service.metrics,
    })
  : undefined;

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, drainMs: config.WORKER_DRAIN_MS }, "shutting down");
  try {
    await Promise.all([
      service.app.close(),
      config.WORKER_ENABLED ? service.worker.stop(config.WORKER_DRAIN_MS) : undefined,
      cleanup?.stop(),
    ]);
    await service.models.cache.clear();
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
