import type { DbOrTx } from "../client";

export interface WorkerRegistration {
  id: string;
  hostname: string;
  pid: number;
  device?: string;
  /** version, concurrency, execution providers, ...: JSON string or value. */
  info?: string | Record<string, unknown>;
  now?: Date;
}

/** Announces a worker process (or re-announces it after a restart with the same id). */
export async function registerWorker(db: DbOrTx, worker: WorkerRegistration): Promise<void> {
  const now = worker.now ?? new Date();
  const info =
    worker.info === undefined
      ? "{}"
      : typeof worker.info === "string"
        ? worker.info
        : JSON.stringify(worker.info);
  const fields = {
    hostname: worker.hostname,
    pid: worker.pid,
    device: worker.device ?? "cpu",
    info,
    heartbeatAt: now,
  };
  await db.worker.upsert({
    where: { id: worker.id },
    create: { id: worker.id, ...fields, startedAt: now },
    update: { ...fields, startedAt: now, stoppedAt: null },
    select: { id: true },
  });
}

/** Refreshes the worker's heartbeat; false if it was never registered. */
export async function workerHeartbeat(
  db: DbOrTx,
  args: { id: string; device?: string; now?: Date },
): Promise<boolean> {
  const { count } = await db.worker.updateMany({
    where: { id: args.id },
    data: { heartbeatAt: args.now ?? new Date(), ...(args.device ? { device: args.device } : {}) },
  });
  return count > 0;
}

/** Marks a clean shutdown so the UI does not show the worker as crashed. */
export async function markWorkerStopped(
  db: DbOrTx,
  args: { id: string; now?: Date },
): Promise<void> {
  await db.worker.updateMany({
    where: { id: args.id },
    data: { stoppedAt: args.now ?? new Date() },
  });
}

/** Deletes rows of workers that have not been heard of for `olderThanMs`. */
export async function pruneWorkers(
  db: DbOrTx,
  args: { olderThanMs: number; now?: Date },
): Promise<number> {
  const cutoff = new Date((args.now ?? new Date()).getTime() - args.olderThanMs);
  const { count } = await db.worker.deleteMany({ where: { heartbeatAt: { lt: cutoff } } });
  return count;
}
