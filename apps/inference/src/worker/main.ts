// The task worker as its own process, started and supervised by the service (supervisor.ts).
// onnxruntime-node runs a model synchronously on the JavaScript thread, so the worker must
// not share an event loop with the HTTP API: /health, previews and time limits stay responsive
// while a tile runs here. Metric updates, the running count and the weights this process holds
// loaded (for the node's heartbeat) go to the parent over IPC.
import { createDb } from "@studio/db/client";
import { subscribeToQueuedTasks } from "@studio/db/queue";
import { env } from "../env";
import { createLogger } from "../logger";
import { forwardingMetrics, type MetricMessage } from "../metrics";
import { ModelStore, modelSettings, openWeightFile } from "../models";
import { NodeFiles } from "../node-files";
import type { WorkerStateMessage } from "./supervisor";
import { TaskWorker } from "./worker";

const config = env();
const { logger, close: closeLogs } = await createLogger(config, `${config.LOG_FILE_NAME}-worker`);
const db = createDb(config.DATABASE_URL);
const send = (message: MetricMessage | WorkerStateMessage) => {
  if (process.connected) process.send?.(message);
};
const metrics = forwardingMetrics(send);
// An idle worker wakes as soon as a task is queued (PostgreSQL: LISTEN/NOTIFY; SQLite: a
// data_version watcher), and polls every WORKER_POLL_MS for what no wake-up announces.
const wakeups = subscribeToQueuedTasks(config.DATABASE_URL, {
  onError: (err) => logger.warn({ err }, "task wake-ups lost; polling until they are back"),
});
// Its own cache folder: one process per folder (node-files.ts).
const files = await NodeFiles.open({
  dataDir: config.DATA_DIR,
  blob: config.BLOB,
  cacheMb: config.BLOB_CACHE_MB,
  role: "worker",
});
const models = new ModelStore({
  ...modelSettings(config),
  metrics,
  openWeight: (sha256) => openWeightFile(files, sha256),
});
const worker = new TaskWorker({
  db,
  logger,
  config,
  models,
  files,
  metrics,
  wakeups,
  // A task's weight is loaded by the time it ends, so the list is current after each change.
  onRunningChange: (count) => {
    idleRelease.reset(count);
    send({ type: "running", count, weights: models.cache.keys() });
  },
});

let stopping = false;

/**
 * Memory back when work stops: onnxruntime's arena keeps what a session's largest run needed
 * (hundreds of MB after a 1024 px task) for the session's life, and onnxruntime-node cannot
 * shrink it. Between tasks the arena saves every tile its allocations (no arena: 1.1-2x the
 * time); once no task has come for SESSION_IDLE_RELEASE_MS the sessions are released, which
 * frees their arenas (the malloc settings of this process hand the blocks back to the system),
 * and the recent small weights are loaded again at once (ModelStore.renew: a new session has no
 * arena yet), so the next task does not wait for its weight either.
 */
const idleRelease = {
  timer: undefined as NodeJS.Timeout | undefined,
  reset(running: number) {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (running > 0 || stopping || config.SESSION_IDLE_RELEASE_MS <= 0) return;
    this.timer = setTimeout(() => void this.release(), config.SESSION_IDLE_RELEASE_MS);
  },
  async release() {
    this.timer = undefined;
    const weights = models.cache.keys();
    if (worker.runningCount > 0 || stopping || weights.length === 0) return;
    const rssBefore = process.memoryUsage().rss;
    const renewed = await models.renew();
    logger.info(
      { weights, renewed, rssBefore, rssAfter: process.memoryUsage().rss },
      "idle: sessions released",
    );
    send({ type: "running", count: worker.runningCount, weights: models.cache.keys() });
  },
};

// The parent went away without stopping us (it was killed): behave like a crashed worker and
// leave the task to be reclaimed when its lease expires, as one process would have.
process.on("disconnect", () => {
  if (!stopping) process.kill(process.pid, "SIGKILL");
});
// It may have gone while this process was still loading (started without a channel: stays).
if (process.send !== undefined && !process.connected) process.kill(process.pid, "SIGKILL");

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  idleRelease.reset(0);
  logger.info({ signal, drainMs: config.WORKER_DRAIN_MS }, "worker process shutting down");
  try {
    await worker.stop(config.WORKER_DRAIN_MS);
    await wakeups.close();
    await models.cache.clear();
    files.close();
    await db.$disconnect();
    process.exitCode = 0;
  } catch (error) {
    logger.error({ err: error }, "error while stopping the worker");
    process.exitCode = 1;
  } finally {
    closeLogs();
    setTimeout(() => process.exit(), 500).unref();
  }
}
for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.on(signal, () => void shutdown(signal));

// An unmigrated or unreachable store: keep trying rather than crash-looping.
while (!stopping) {
  try {
    await worker.start();
    break;
  } catch (error) {
    logger.error({ err: error }, "worker cannot start yet; retrying in 5 s");
    await new Promise((r) => setTimeout(r, 5000));
  }
}
