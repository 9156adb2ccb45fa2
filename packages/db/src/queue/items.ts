import { type Db, type DbOrTx, Prisma } from "../client";
import { PENDING_ITEM_STATUSES } from "./status";
import { refreshCounters } from "./tasks";

type Tx = Prisma.TransactionClient;

export interface ItemArgs {
  taskId: string;
  itemId: string;
  workerId: string;
  now?: Date;
}

/** Why an item write was not recorded. */
export type ItemWriteResult = "recorded" | "already_succeeded" | "lease_lost" | "not_found";

export const pendingItemSelect = {
  id: true,
  position: true,
  status: true,
  imageId: true,
  image: {
    select: {
      storagePath: true,
      sha256: true,
      originalName: true,
      format: true,
      width: true,
      height: true,
      channels: true,
      bitDepth: true,
    },
  },
} as const satisfies Prisma.TaskItemSelect;
export type PendingItem = Prisma.TaskItemGetPayload<{ select: typeof pendingItemSelect }>;

/**
 * Items a worker still has to run, in order: everything not succeeded and not canceled.
 * A reclaimed task therefore resumes where the crashed worker stopped.
 */
export async function listPendingItems(db: DbOrTx, taskId: string): Promise<PendingItem[]> {
  return db.taskItem.findMany({
    where: { taskId, status: { in: [...PENDING_ITEM_STATUSES] } },
    orderBy: { position: "asc" },
    select: pendingItemSelect,
  });
}

/** Marks an item running; false if the lease is gone or the item is already done. */
export async function startItem(db: DbOrTx, args: ItemArgs): Promise<boolean> {
  const now = args.now ?? new Date();
  const changed = await db.$executeRaw`
    UPDATE "TaskItem"
    SET "status" = 'running', "progress" = 0, "error" = NULL, "startedAt" = ${now}, "finishedAt" = NULL
    WHERE "id" = ${args.itemId} AND "taskId" = ${args.taskId}
      AND "status" IN ('queued', 'running', 'failed')
      AND EXISTS (
        SELECT 1 FROM "Task"
        WHERE "id" = ${args.taskId} AND "leaseOwner" = ${args.workerId} AND "status" = 'running'
      )`;
  return changed > 0;
}

export interface ItemResult {
  /** Path relative to DATA_DIR, already renamed into place. */
  path: string;
  sha256: string;
  bytes: number;
  /** Extra outputs (probability map path, overlay, top-k, metrics): JSON string or value. */
  meta?: string | Record<string, unknown> | null;
  device: string;
  /** decode / pre / run / post / encode milliseconds: JSON string or value. */
  timings?: string | Record<string, number> | null;
  paramSignature: string;
}

/**
 * Records an item's result and marks it succeeded in the same transaction that updates the
 * task's counters. The guarded UPDATE refuses an item that already succeeded, so a retried
 * task never records two results for one item, and refuses a worker that lost its lease
 * (its result file should then be deleted by the caller).
 */
export async function completeItem(
  db: Db,
  args: ItemArgs & { result: ItemResult },
): Promise<ItemWriteResult> {
  const now = args.now ?? new Date();
  const r = args.result;
  const meta = toJson(r.meta);
  const timings = toJson(r.timings);
  return db.$transaction(async (tx) => {
    const changed = await tx.$executeRaw`
      UPDATE "TaskItem"
      SET "status" = 'succeeded', "progress" = 1, "error" = NULL,
          "resultPath" = ${r.path}, "resultSha256" = ${r.sha256}, "resultBytes" = ${r.bytes},
          "resultMeta" = ${meta}, "device" = ${r.device}, "timings" = ${timings},
          "paramSignature" = ${r.paramSignature}, "finishedAt" = ${now}
      WHERE ${writableByLeaseHolder(args)}`;
    if (changed === 0) return whyNotWritten(tx, args);
    await refreshCounters(tx, args.taskId);
    // The device of the latest result is the one the UI shows for the task.
    await tx.task.update({
      where: { id: args.taskId },
      data: { device: r.device, updatedAt: now },
      select: { id: true },
    });
    return "recorded";
  });
}

/** Marks one item failed with its reason; the task goes on with the others. */
export async function failItem(
  db: Db,
  args: ItemArgs & { error: string },
): Promise<ItemWriteResult> {
  const now = args.now ?? new Date();
  return db.$transaction(async (tx) => {
    const changed = await tx.$executeRaw`
      UPDATE "TaskItem"
      SET "status" = 'failed', "error" = ${args.error}, "finishedAt" = ${now}
      WHERE ${writableByLeaseHolder(args)}`;
    if (changed === 0) return whyNotWritten(tx, args);
    await refreshCounters(tx, args.taskId);
    return "recorded";
  });
}

/** The item, if it may still be written, of a task that `workerId` holds the lease of. */
function writableByLeaseHolder(args: ItemArgs): Prisma.Sql {
  return Prisma.sql`"id" = ${args.itemId} AND "taskId" = ${args.taskId}
    AND "status" IN ('queued', 'running', 'failed')
    AND EXISTS (
      SELECT 1 FROM "Task"
      WHERE "id" = ${args.taskId} AND "leaseOwner" = ${args.workerId} AND "status" = 'running'
    )`;
}

async function whyNotWritten(
  tx: Tx,
  args: ItemArgs,
): Promise<Exclude<ItemWriteResult, "recorded">> {
  const item = await tx.taskItem.findUnique({
    where: { id: args.itemId },
    select: { taskId: true, status: true },
  });
  if (!item || item.taskId !== args.taskId) return "not_found";
  if (item.status === "succeeded") return "already_succeeded";
  return "lease_lost";
}

function toJson(value: string | Record<string, unknown> | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}
