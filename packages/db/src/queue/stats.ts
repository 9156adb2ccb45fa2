import type { DbOrTx } from "../client";
import { TASK_STATUSES, type TaskStatus } from "./status";

export interface WorkerStatus {
  id: string;
  hostname: string;
  pid: number;
  device: string;
  info: string;
  startedAt: Date;
  heartbeatAt: Date;
  stoppedAt: Date | null;
  alive: boolean;
}

export interface QueueStats {
  tasks: Record<TaskStatus, number>;
  /** Queued tasks that are due now (not waiting out a retry backoff). */
  ready: number;
  /** Queued tasks waiting for their retry backoff. */
  delayed: number;
  workers: { alive: number; total: number; list: WorkerStatus[] };
}

/**
 * Task counts by status and the workers that heartbeated within `aliveWithinMs` (default
 * 30 s) and did not stop cleanly.
 */
export async function queueStats(
  db: DbOrTx,
  args: { now?: Date; aliveWithinMs?: number } = {},
): Promise<QueueStats> {
  const now = args.now ?? new Date();
  const aliveSince = new Date(now.getTime() - (args.aliveWithinMs ?? 30_000));
  const [groups, ready, workers] = await Promise.all([
    db.task.groupBy({ by: ["status"], _count: { _all: true } }),
    db.task.count({ where: { status: "queued", availableAt: { lte: now } } }),
    db.worker.findMany({
      orderBy: { heartbeatAt: "desc" },
      take: 200,
      select: {
        id: true,
        hostname: true,
        pid: true,
        device: true,
        info: true,
        startedAt: true,
        heartbeatAt: true,
        stoppedAt: true,
      },
    }),
  ]);
  const tasks = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const group of groups) {
    if (group.status in tasks) tasks[group.status as TaskStatus] = group._count._all;
  }
  const list = workers.map((w) => ({
    ...w,
    alive: w.stoppedAt === null && w.heartbeatAt >= aliveSince,
  }));
  return {
    tasks,
    ready,
    delayed: tasks.queued - ready,
    workers: { alive: list.filter((w) => w.alive).length, total: list.length, list },
  };
}
