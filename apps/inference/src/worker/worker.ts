// The task worker: claims queued tasks from the store with a lease, runs their items with
// core's pipelines and records each result atomically. Every decision about who owns a task
// is made by the store (db's queue primitives); this file only follows their answers.
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import { isBlobError } from "@studio/blob/errors";
import { type Db, databaseUrlOf } from "@studio/db/client";
import {
  type ClaimedTask,
  claimNextTask,
  completeItem,
  completeTask,
  failItem,
  failTask,
  listPendingItems,
  markWorkerStopped,
  type QueueWakeups,
  reclaimExpiredLeases,
  registerWorker,
  releaseTask,
  startItem,
  updateProgress,
  workerHeartbeat,
} from "@studio/db/queue";
import type { InferenceEnv } from "../env";
import type { Logger } from "../logger";
import type { WorkerMetrics } from "../metrics";
import { type ModelStore, precisionOf, WeightUnusableError } from "../models";
import type { NodeFiles } from "../node-files";
import { SERVICE_VERSION } from "../version";
import { type LeaseKeeper, ThreadLeaseKeeper, TimerLeaseKeeper } from "./lease-keeper";
import { removeResultFiles } from "./results";
import { runItem } from "./run-item";
import { findItemReference, storeTaskScores } from "./scores";

type WorkerConfig = Pick<
  InferenceEnv,
  | "WORKER_CONCURRENCY"
  | "WORKER_LEASE_MS"
  | "WORKER_POLL_MS"
  | "WORKER_PROGRESS_MS"
  | "WORKER_CANCEL_POLL_MS"
  | "WORKER_RETRY_BASE_MS"
  | "ORT_INTRA_OP_THREADS"
  | "MAX_IMAGE_PIXELS"
> & { WORKER_ID?: string | undefined };

/** Why a running task was interrupted (the AbortSignal's reason). */
export const STOP = {
  canceled: "canceled",
  leaseLost: "lease_lost",
  shutdown: "shutdown",
} as const;
type StopReason = (typeof STOP)[keyof typeof STOP];

/** The outcome of a task handed back because the blob store could not be reached. */
const STORE_UNAVAILABLE = "store_unavailable";

/**
 * After the blob store failed to answer, a slot waits this long before it claims again,
 * doubling per failure up to the maximum, back to the start after a task that reached the store.
 */
const STORE_BACKOFF = { firstMs: 1000, maxMs: 30_000 };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Writes progress at most once per `intervalMs`, never two writes at once, the latest wins. */
class ProgressWriter {
  private last = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly write: (overall: number, itemId: string, item: number) => Promise<unknown>,
  ) {}

  report(overall: number, itemId: string, item: number): void {
    const now = Date.now();
    if (this.inFlight || now - this.last < this.intervalMs) return;
    this.last = now;
    this.inFlight = this.write(overall, itemId, item)
      .then(() => undefined)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  async flush(): Promise<void> {
    await this.inFlight;
  }
}

export interface TaskWorkerDeps {
  db: Db;
  logger: Logger;
  config: WorkerConfig;
  models: ModelStore;
  /** This process's way to the blob store: input images in, results out. */
  files: NodeFiles;
  metrics?: WorkerMetrics;
  /** The execution device the worker announces (for the status panel). */
  device?: string;
  /** Wakes an idle slot when a task is queued (PostgreSQL); without it slots just poll. */
  wakeups?: QueueWakeups;
  /** Told whenever the number of running tasks changes. */
  onRunningChange?: (running: number) => void;
  /** Keeps task leases; default: a heartbeat thread of its own (lease-keeper.ts). */
  leaseKeeper?: LeaseKeeper;
}

export class TaskWorker {
  readonly id: string;
  private readonly stopping = new AbortController();
  private readonly running = new Map<string, AbortController>();
  private loops: Promise<void>[] = [];
  private maintenance: NodeJS.Timeout | undefined;
  private leases: LeaseKeeper | undefined;
  private readonly log: Logger;
  /** The next pause after the blob store could not be reached (see STORE_BACKOFF). */
  private storeBackoffMs = STORE_BACKOFF.firstMs;

  constructor(private readonly deps: TaskWorkerDeps) {
    this.id =
      deps.config.WORKER_ID ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.log = deps.logger.child({ component: "worker", workerId: this.id });
  }

  /** A fresh lease owner id for one claim; `this.id` stays the Worker row id (liveness). */
  leaseOwnerFor(slot: number): string {
    return `${this.id}/${slot}/${randomUUID()}`;
  }

  /** Tasks this process is running now. */
  get runningCount(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    const { db, config } = this.deps;
    await registerWorker(db, {
      id: this.id,
      hostname: os.hostname(),
      pid: process.pid,
      device: this.deps.device ?? "cpu",
      info: {
        version: SERVICE_VERSION,
        concurrency: config.WORKER_CONCURRENCY,
        ortIntraOpThreads: config.ORT_INTRA_OP_THREADS,
      },
    });
    this.leases = this.deps.leaseKeeper ?? this.defaultLeaseKeeper();
    // No claim before the first lease can be renewed on time.
    await this.leases.ready();
    const every = Math.max(250, Math.floor(config.WORKER_LEASE_MS / 2));
    this.maintenance = setInterval(() => void this.maintain(), every);
    await this.maintain();
    for (let slot = 0; slot < config.WORKER_CONCURRENCY; slot++) this.loops.push(this.loop(slot));
    this.log.info(
      {
        concurrency: config.WORKER_CONCURRENCY,
        leaseMs: config.WORKER_LEASE_MS,
        ortThreads: config.ORT_INTRA_OP_THREADS,
      },
      "worker started",
    );
  }

  /**
   * Stops claiming, lets running tasks finish for up to `graceMs`, then interrupts them at the
   * next tile and hands them back to the queue (attempt refunded) for another worker.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    clearInterval(this.maintenance);
    const all = Promise.all(this.loops);
    let graceTimer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      all.then(() => true),
      new Promise<boolean>((r) => {
        graceTimer = setTimeout(() => r(false), graceMs);
      }),
    ]);
    // A pending grace timer would keep a stopped process alive for the rest of the period.
    clearTimeout(graceTimer);
    if (!inTime) {
      this.log.warn(
        { tasks: [...this.running.keys()] },
        "grace period over; releasing running tasks",
      );
      for (const controller of this.running.values()) controller.abort(STOP.shutdown);
      await all;
    }
    await markWorkerStopped(this.deps.db, { id: this.id }).catch(() => {});
    await this.leases?.close().catch(() => {});
    this.log.info("worker stopped");
  }

  /** Heartbeats from a thread that a model run does not block, when the store has a URL. */
  private defaultLeaseKeeper(): LeaseKeeper {
    const url = databaseUrlOf(this.deps.db);
    if (!url) return new TimerLeaseKeeper(this.deps.db);
    return new ThreadLeaseKeeper(
      url,
      this.deps.db,
      (error) =>
        this.log.error({ err: error }, "lease thread failed; heartbeats now wait for each tile"),
      {
        worker: {
          id: this.id,
          everyMs: Math.max(250, Math.floor(this.deps.config.WORKER_LEASE_MS / 2)),
        },
      },
    );
  }

  /** Takes back tasks of dead workers and tells the store this worker is alive. */
  private async maintain(): Promise<void> {
    const { db, config, metrics } = this.deps;
    try {
      const reclaimed = await reclaimExpiredLeases(db, {
        backoff: { baseMs: config.WORKER_RETRY_BASE_MS },
      });
      if (reclaimed.reclaimed > 0) {
        metrics?.leaseReclaims.inc(reclaimed.reclaimed);
        this.log.warn(reclaimed, "reclaimed tasks whose lease expired");
      }
      await workerHeartbeat(db, { id: this.id });
    } catch (error) {
      this.log.error({ err: error }, "queue maintenance failed");
    }
  }

  private async loop(slot: number): Promise<void> {
    const { db, config } = this.deps;
    const stop = this.stopping.signal;
    while (!stop.aborted) {
      let task: ClaimedTask | null = null;
      try {
        // Each claim gets its own lease owner: with one id shared by every slot, a slot whose
        // lease expired and was re-claimed by a sibling slot would still pass the lease guards.
        task = await claimNextTask(db, {
          workerId: this.leaseOwnerFor(slot),
          leaseMs: config.WORKER_LEASE_MS,
          // A task whose weight is loaded here skips a model load (seconds for a large model),
          // so the queue lets it go first within its affinity window. The list is the one the
          // node heartbeat reports as this process's loaded weights (service.ts).
          preferWeights: this.deps.models.cache.keys(),
        });
      } catch (error) {
        this.log.error({ err: error, slot }, "claiming a task failed");
      }
      if (!task) {
        await (this.deps.wakeups?.waitForWork(config.WORKER_POLL_MS, stop) ??
          pause(config.WORKER_POLL_MS, stop));
        continue;
      }
      let outcome: string | undefined;
      try {
        outcome = await this.runTask(task);
      } catch (error) {
        this.log.error({ err: error, taskId: task.id }, "unexpected error while running a task");
      }
      if (outcome === STORE_UNAVAILABLE) {
        // Every task needs the store: claiming again at once would only hand tasks back.
        await pause(this.storeBackoffMs, stop);
        this.storeBackoffMs = Math.min(STORE_BACKOFF.maxMs, this.storeBackoffMs * 2);
      } else if (outcome !== undefined) {
        this.storeBackoffMs = STORE_BACKOFF.firstMs;
      }
    }
  }

  /** Runs a claimed task to its end (or hands it back); answers the outcome it recorded. */
  private async runTask(task: ClaimedTask): Promise<string> {
    const { db, config, metrics, models } = this.deps;
    const started = performance.now();
    const controller = new AbortController();
    const signal = controller.signal;
    this.running.set(task.id, controller);
    this.deps.onRunningChange?.(this.running.size);
    let log = this.log.child({
      taskId: task.id,
      taskKind: task.taskKind,
      weightId: task.weightId,
      weightSha256: task.weightSha256,
      attempt: task.attempts,
    });
    metrics?.tasksClaimed.inc();
    log.info({ items: task.itemCount, maxAttempts: task.maxAttempts }, "task started");

    const owner = task.leaseOwner ?? this.id;
    const lease = { taskId: task.id, workerId: owner };
    // Renewed from a thread of its own: a model run blocks this thread for a whole tile.
    this.leases ??= this.defaultLeaseKeeper();
    const beat = this.leases.keep(
      {
        ...lease,
        leaseMs: config.WORKER_LEASE_MS,
        intervalMs: Math.max(100, Math.floor(config.WORKER_LEASE_MS / 3)),
      },
      {
        state: (hb) => {
          if (!hb.held) controller.abort(STOP.leaseLost);
          else if (hb.cancelRequested) controller.abort(STOP.canceled);
        },
        error: (message) => log.warn({ error: message }, "heartbeat failed"),
      },
    );
    const cancelPoll = setInterval(async () => {
      try {
        const row = await db.task.findUnique({
          where: { id: task.id },
          select: { cancelRequested: true, leaseOwner: true, status: true },
        });
        if (!row || row.leaseOwner !== owner || row.status !== "running")
          controller.abort(STOP.leaseLost);
        else if (row.cancelRequested) controller.abort(STOP.canceled);
      } catch {
        // the next poll or heartbeat will tell
      }
    }, config.WORKER_CANCEL_POLL_MS);

    const progress = new ProgressWriter(config.WORKER_PROGRESS_MS, (overall, itemId, item) =>
      updateProgress(db, { ...lease, progress: overall, itemId, itemProgress: item }),
    );
    let outcome = "unknown";
    try {
      if (task.cancelRequested) controller.abort(STOP.canceled);
      const weight = task.weightId
        ? await db.weight.findUnique({
            where: { id: task.weightId },
            select: { spec: true, name: true, family: true, version: true },
          })
        : null;
      if (!weight) throw new WeightUnusableError("the task's weight has been deleted");
      // Whether results may carry the input's GPS position: the team's choice, off by default.
      const keepGps =
        (await db.team.findUnique({ where: { id: task.teamId }, select: { resultsKeepGps: true } }))
          ?.resultsKeepGps ?? false;
      const params: unknown = JSON.parse(task.params);
      // The model at the task's precision only (an INT8 task never loads the FP32 session).
      const model = await models.get(
        task.weightSha256,
        weight.spec,
        undefined,
        precisionOf(params),
      );
      // Every later line of this task says which device ran it.
      log = log.child({ device: model.runner.device });
      log.info({ cacheHit: model.cacheHit, loadMs: Math.round(model.loadMs) }, "model ready");
      const items = await listPendingItems(db, task.id);
      const finishedBefore = task.itemCount - items.length;

      for (const [index, item] of items.entries()) {
        if (signal.aborted) break;
        if (!(await startItem(db, { ...lease, itemId: item.id }))) {
          controller.abort(STOP.leaseLost);
          break;
        }
        const itemStarted = performance.now();
        const itemLog = log.child({
          itemId: item.id,
          position: item.position,
          imageId: item.imageId,
        });
        try {
          const out = await runItem({
            files: this.deps.files,
            taskId: task.id,
            taskKind: task.taskKind as "segmentation" | "super_resolution" | "classification",
            attempt: task.attempts,
            position: item.position,
            storagePath: item.image.storagePath,
            params,
            model,
            weight,
            maxPixels: config.MAX_IMAGE_PIXELS,
            keepGps,
            reference: await findItemReference(db, task.datasetId, item.imageId),
            signal,
            onProgress: (f) =>
              progress.report(
                task.itemCount > 0 ? (finishedBefore + index + f) / task.itemCount : 0,
                item.id,
                f,
              ),
          });
          if (out.signature !== task.paramSignature) {
            itemLog.warn(
              { expected: task.paramSignature, actual: out.signature },
              "parameter signature differs from the task's",
            );
          }
          const recorded = await completeItem(db, {
            ...lease,
            itemId: item.id,
            result: {
              path: out.main.path,
              sha256: out.main.sha256,
              bytes: out.main.bytes,
              meta: out.meta,
              device: out.device,
              timings: out.timings,
              paramSignature: out.signature,
            },
          });
          if (recorded !== "recorded") {
            await removeResultFiles(this.deps.files, out.files);
            itemLog.warn({ recorded }, "result not recorded; files removed");
            if (recorded === "lease_lost") {
              controller.abort(STOP.leaseLost);
              break;
            }
            continue;
          }
          const seconds = (performance.now() - itemStarted) / 1000;
          metrics?.itemDuration.observe({ kind: task.taskKind, outcome: "succeeded" }, seconds);
          itemLog.info(
            {
              device: out.device,
              timings: out.timings,
              resultPath: out.main.path,
              ms: Math.round(seconds * 1000),
            },
            "item succeeded",
          );
        } catch (error) {
          if (signal.aborted) break;
          // Neither is this item's fault: the whole task fails, or waits for the store.
          if (error instanceof WeightUnusableError || isBlobError(error, "unavailable"))
            throw error;
          const message = errorMessage(error);
          const recorded = await failItem(db, { ...lease, itemId: item.id, error: message });
          metrics?.itemDuration.observe(
            { kind: task.taskKind, outcome: "failed" },
            (performance.now() - itemStarted) / 1000,
          );
          itemLog.warn({ error: message, cause: (error as Error)?.cause, recorded }, "item failed");
          if (recorded === "lease_lost") {
            controller.abort(STOP.leaseLost);
            break;
          }
        }
      }
      await progress.flush();

      const reason = signal.aborted ? (signal.reason as StopReason) : undefined;
      if (reason === STOP.leaseLost) {
        outcome = "lease_lost";
        log.warn("lease lost; another worker owns the task now");
      } else if (reason === STOP.shutdown) {
        const released = await releaseTask(db, lease);
        outcome = "released";
        log.info({ released }, "task handed back to the queue (shutdown)");
      } else {
        const done = await completeTask(db, lease);
        outcome = done?.status ?? "lease_lost";
        // After the task's end is recorded: scores are a summary and never hold the task back.
        if (done) {
          await storeTaskScores(db, task).catch((error: unknown) =>
            log.warn({ err: error }, "summing the quality scores failed"),
          );
        }
        log.info({ status: outcome, ms: Math.round(performance.now() - started) }, "task finished");
      }
    } catch (error) {
      await progress.flush();
      const message = errorMessage(error);
      if (signal.reason === STOP.leaseLost) {
        outcome = "lease_lost";
      } else if (isBlobError(error, "unavailable")) {
        // The store is down or unreachable for now (an input, a weight or a result could not
        // move): the task goes back to the queue with its attempt refunded, so an outage never
        // fails it for good, and this slot waits before claiming again.
        const released = await releaseTask(db, lease).catch((dbError: unknown) => {
          log.error({ err: dbError }, "handing the task back failed");
          return false;
        });
        // The slot waits either way: a failed hand-back (the lease went, or the database is out
        // too) is no reason to claim again at once into the same outage.
        outcome = STORE_UNAVAILABLE;
        log.warn(
          { err: error, released, retryInMs: this.storeBackoffMs },
          "blob store unavailable; task handed back to the queue",
        );
      } else {
        const failed = await failTask(db, {
          ...lease,
          error: message,
          permanent: error instanceof WeightUnusableError,
          backoff: { baseMs: config.WORKER_RETRY_BASE_MS },
        }).catch((dbError: unknown) => {
          log.error({ err: dbError }, "recording the task failure failed");
          return null;
        });
        outcome = failed ? `failed_${failed.status}` : "lease_lost";
        const detail = error instanceof WeightUnusableError ? error.detail : undefined;
        log.error({ error: message, detail, next: failed }, "task attempt failed");
      }
    } finally {
      beat.release();
      clearInterval(cancelPoll);
      this.running.delete(task.id);
      this.deps.onRunningChange?.(this.running.size);
      metrics?.taskDuration.observe(
        { kind: task.taskKind, outcome },
        (performance.now() - started) / 1000,
      );
    }
    return outcome;
  }
}
