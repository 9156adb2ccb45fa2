import { type Db, type DbOrTx, Prisma, providerOf } from "../client";
import { type BackoffOptions, type FinalTaskStatus, retryDelayMs } from "./status";
import { notifyTaskQueued } from "./wakeups";

type Tx = Prisma.TransactionClient;

/** What a worker needs to run a task it has just claimed. */
export const claimedTaskSelect = {
  id: true,
  teamId: true,
  createdById: true,
  weightId: true,
  weightSha256: true,
  datasetId: true,
  taskKind: true,
  params: true,
  paramSignature: true,
  itemCount: true,
  attempts: true,
  maxAttempts: true,
  leaseOwner: true,
  leaseExpiresAt: true,
  cancelRequested: true,
  createdAt: true,
} as const satisfies Prisma.TaskSelect;
export type ClaimedTask = Prisma.TaskGetPayload<{ select: typeof claimedTaskSelect }>;

export interface LeaseArgs {
  taskId: string;
  workerId: string;
  now?: Date;
}

/**
 * How far a worker's preference for the weights it holds may reorder the queue. A preferred task
 * is taken ahead of older ones only if it is among the AFFINITY_WINDOW oldest tasks counted from
 * the oldest due one, whatever their status now. Counting the ones already claimed is what makes
 * this a bound: the window is fixed by creation order, so the oldest due task is passed over by
 * at most AFFINITY_WINDOW - 1 younger tasks and then taken, however many tasks of the preferred
 * weights keep arriving behind it. (A window of the oldest due *queued* tasks would refill as
 * preferred tasks leave it, and a task of another weight at its head would wait for as long as
 * the stream lasts.) 16 lets a node keep to one weight through a run of its tasks, saving a
 * model load per task, while no task waits behind more than 15 younger ones.
 */
export const AFFINITY_WINDOW = 16;

/** At most this many preferred weights go into a claim, so the statement stays bounded. */
export const MAX_PREFERRED_WEIGHTS = 64;

export interface ClaimArgs {
  workerId: string;
  leaseMs: number;
  now?: Date;
  /**
   * sha256s of weights this worker holds loaded: among the due tasks in the affinity window
   * (AFFINITY_WINDOW) the oldest with one of these weights is taken before older tasks of
   * other weights. Empty or absent: the oldest due task. Only the first MAX_PREFERRED_WEIGHTS
   * (after removing repeats) count.
   */
  preferWeights?: readonly string[];
}

/**
 * Atomically takes the oldest claimable task (queued, due, not being canceled), or with
 * `preferWeights` the oldest such task of a preferred weight in the affinity window, and leases
 * it to `workerId`, counting the attempt. One UPDATE whose WHERE re-checks `status = 'queued'`,
 * so two claimers, in one process or many, can never both get a row:
 * - SQLite runs it under its single write lock;
 * - PostgreSQL (READ COMMITTED) has claimers run at the same time, so the subquery locks the
 *   row it picks with FOR UPDATE SKIP LOCKED: a second claimer passes over a row being
 *   claimed and takes the next one, instead of waiting for it and then finding it gone
 *   (which would turn it away while tasks are left). SQLite has no row locks and rejects the
 *   clause, hence the switch.
 *
 * The window is a plain (unlocked) subquery inside the ORDER BY of the locking SELECT, which
 * reads "Task" directly, rather than a subquery in FROM that the locking SELECT sorts. PostgreSQL
 * accepts FOR UPDATE over a FROM subquery but pushes the lock into it, so each claimer would
 * lock the whole window; a second claimer would skip all of it and take a task from beyond the
 * window (checked on PostgreSQL 15). In this form exactly one row is locked: the first one of
 * the sorted due tasks that no one else holds. The window reads tasks of every status in
 * creation order: an index on ("createdAt", "id") keeps that to AFFINITY_WINDOW rows.
 */
export async function claimNextTask(db: DbOrTx, args: ClaimArgs): Promise<ClaimedTask | null> {
  const now = args.now ?? new Date();
  const leaseExpiresAt = new Date(now.getTime() + args.leaseMs);
  const lockRow =
    providerOf(db) === "postgresql" ? Prisma.sql`FOR UPDATE SKIP LOCKED` : Prisma.empty;
  const due = Prisma.sql`"status" = 'queued' AND "availableAt" <= ${now} AND "cancelRequested" = false`;
  const preferred = preferredWeights(args.preferWeights);
  // Without preferences the order is today's; an empty list must not become `IN ()`.
  const order =
    preferred.length === 0
      ? Prisma.sql`"createdAt", "id"`
      : Prisma.sql`CASE WHEN "weightSha256" IN (${Prisma.join(preferred)}) AND "id" IN (
            SELECT "id" FROM "Task"
            WHERE ("createdAt", "id") >= (
                SELECT "createdAt", "id" FROM "Task" WHERE ${due}
                ORDER BY "createdAt", "id" LIMIT 1
              )
            ORDER BY "createdAt", "id"
            LIMIT ${AFFINITY_WINDOW}
          ) THEN 0 ELSE 1 END, "createdAt", "id"`;
  const rows = await db.$queryRaw<{ id: string }[]>`
    UPDATE "Task"
    SET "status" = 'running',
        "leaseOwner" = ${args.workerId},
        "leaseExpiresAt" = ${leaseExpiresAt},
        "attempts" = "attempts" + 1,
        "startedAt" = COALESCE("startedAt", ${now}),
        "updatedAt" = ${now}
    WHERE "id" = (
        SELECT "id" FROM "Task"
        WHERE ${due}
        ORDER BY ${order}
        LIMIT 1
        ${lockRow}
      )
      AND "status" = 'queued'
    RETURNING "id"`;
  const id = rows[0]?.id;
  if (!id) return null;
  return db.task.findUnique({ where: { id }, select: claimedTaskSelect });
}

/** The distinct non-empty sha256s of `weights`, at most MAX_PREFERRED_WEIGHTS of them. */
function preferredWeights(weights: readonly string[] | undefined): string[] {
  const distinct = new Set((weights ?? []).filter((sha) => sha.length > 0));
  return [...distinct].slice(0, MAX_PREFERRED_WEIGHTS);
}

/**
 * Extends the lease if `workerId` still holds it. `cancelRequested` tells the worker to stop
 * at the next tile; `held: false` means the lease was lost (reclaimed) and the worker must
 * stop without writing results.
 */
export async function heartbeat(
  db: DbOrTx,
  args: LeaseArgs & { leaseMs: number },
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const now = args.now ?? new Date();
  const leaseExpiresAt = new Date(now.getTime() + args.leaseMs);
  const rows = await db.$queryRaw<{ cancelRequested: unknown }[]>`
    UPDATE "Task" SET "leaseExpiresAt" = ${leaseExpiresAt}, "updatedAt" = ${now}
    WHERE "id" = ${args.taskId} AND "leaseOwner" = ${args.workerId} AND "status" = 'running'
    RETURNING "cancelRequested"`;
  const row = rows[0];
  if (!row) return { held: false, cancelRequested: false };
  return { held: true, cancelRequested: toBool(row.cancelRequested) };
}

/** Writes overall (and optionally one item's) progress, 0..1; false if the lease is gone. */
export async function updateProgress(
  db: DbOrTx,
  args: LeaseArgs & { progress: number; itemId?: string; itemProgress?: number },
): Promise<boolean> {
  const now = args.now ?? new Date();
  const { count } = await db.task.updateMany({
    where: { id: args.taskId, leaseOwner: args.workerId, status: "running" },
    data: { progress: clamp01(args.progress), updatedAt: now },
  });
  if (count === 0) return false;
  if (args.itemId !== undefined && args.itemProgress !== undefined) {
    await db.taskItem.updateMany({
      where: { id: args.itemId, taskId: args.taskId, status: "running" },
      data: { progress: clamp01(args.itemProgress) },
    });
  }
  return true;
}

/**
 * Ends a task whose items have all been run (or that stopped for a cancel request). The final
 * status follows from the items: all succeeded -> succeeded, some -> partially_failed, none ->
 * failed; a cancel request turns the still-unrun items canceled and the task canceled.
 * Returns null when `workerId` no longer holds the lease.
 */
export async function completeTask(
  db: Db,
  args: LeaseArgs,
): Promise<{ status: FinalTaskStatus } | null> {
  const now = args.now ?? new Date();
  return db.$transaction(async (tx) => {
    if (!(await touchLease(tx, args.taskId, args.workerId, now))) return null;
    const task = await tx.task.findUniqueOrThrow({
      where: { id: args.taskId },
      select: { cancelRequested: true, itemCount: true },
    });
    if (task.cancelRequested) await cancelUnfinishedItems(tx, args.taskId, now);
    const counts = await countItems(tx, args.taskId);
    const unfinished = counts.queued + counts.running;
    if (unfinished > 0) {
      throw new Error(`completeTask(${args.taskId}): ${unfinished} item(s) have not been run`);
    }
    const status: FinalTaskStatus =
      task.cancelRequested && counts.canceled > 0
        ? "canceled"
        : counts.failed === 0
          ? "succeeded"
          : counts.succeeded === 0
            ? "failed"
            : "partially_failed";
    const error = counts.failed > 0 ? await failureSummary(tx, args.taskId, counts) : null;
    await tx.task.update({
      where: { id: args.taskId },
      data: {
        status,
        itemsDone: counts.succeeded,
        itemsFailed: counts.failed,
        ...(status === "canceled" ? {} : { progress: 1 }),
        error,
        finishedAt: now,
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: now,
      },
      select: { id: true },
    });
    return { status };
  });
}

export interface FailTaskResult {
  /** queued: will be retried at `availableAt`; failed: attempts exhausted (or permanent). */
  status: "queued" | "failed" | "canceled";
  availableAt: Date | null;
}

/**
 * Records a failure of the whole run (not of one item). The attempt was counted at claim;
 * below maxAttempts the task goes back to the queue after an exponential backoff, otherwise
 * it ends failed. The error is kept either way. `permanent` skips the retries (e.g. the
 * weight file is gone). Returns null when `workerId` no longer holds the lease.
 */
export async function failTask(
  db: Db,
  args: LeaseArgs & { error: string; permanent?: boolean; backoff?: BackoffOptions },
): Promise<FailTaskResult | null> {
  const now = args.now ?? new Date();
  return db.$transaction(async (tx) => {
    if (!(await touchLease(tx, args.taskId, args.workerId, now))) return null;
    const task = await tx.task.findUniqueOrThrow({
      where: { id: args.taskId },
      select: { attempts: true, maxAttempts: true, cancelRequested: true },
    });
    if (task.cancelRequested) {
      await endTask(tx, args.taskId, "canceled", args.error, now);
      return { status: "canceled", availableAt: null };
    }
    if (args.permanent || task.attempts >= task.maxAttempts) {
      await endTask(tx, args.taskId, "failed", args.error, now);
      return { status: "failed", availableAt: null };
    }
    const availableAt = new Date(now.getTime() + retryDelayMs(task.attempts, args.backoff));
    await requeue(tx, args.taskId, { availableAt, error: args.error, refundAttempt: false, now });
    return { status: "queued", availableAt };
  });
}

/**
 * Gives the lease back without counting a failure (graceful shutdown): the task is claimable
 * at once and its attempt is refunded. Items already succeeded stay succeeded.
 */
export async function releaseTask(db: Db, args: LeaseArgs): Promise<boolean> {
  const now = args.now ?? new Date();
  return db.$transaction(async (tx) => {
    if (!(await touchLease(tx, args.taskId, args.workerId, now))) return false;
    const task = await tx.task.findUniqueOrThrow({
      where: { id: args.taskId },
      select: { cancelRequested: true },
    });
    if (task.cancelRequested) await endTask(tx, args.taskId, "canceled", null, now);
    else {
      await requeue(tx, args.taskId, { availableAt: now, error: null, refundAttempt: true, now });
      // Claimable at once: an idle worker elsewhere may take it over now.
      await notifyTaskQueued(tx);
    }
    return true;
  });
}

export interface ReclaimResult {
  /** Tasks whose lease had expired, in total. */
  reclaimed: number;
  requeued: number;
  failed: number;
  canceled: number;
}

/**
 * Takes back tasks whose worker stopped heartbeating (crashed, killed, partitioned): they go
 * back to the queue with backoff, or end failed once attempts are exhausted (canceled if a
 * cancel was requested). Safe to run from every worker at once: each task is moved by a
 * guarded UPDATE that only one caller can win.
 */
export async function reclaimExpiredLeases(
  db: Db,
  args: { now?: Date; backoff?: BackoffOptions; limit?: number } = {},
): Promise<ReclaimResult> {
  const now = args.now ?? new Date();
  const expired = await db.task.findMany({
    where: { status: "running", leaseExpiresAt: { lt: now } },
    select: {
      id: true,
      attempts: true,
      maxAttempts: true,
      cancelRequested: true,
      leaseOwner: true,
    },
    orderBy: { leaseExpiresAt: "asc" },
    take: args.limit ?? 100,
  });
  const result: ReclaimResult = { reclaimed: 0, requeued: 0, failed: 0, canceled: 0 };
  for (const task of expired) {
    const outcome = await db.$transaction(async (tx) => {
      const { count } = await tx.task.updateMany({
        where: {
          id: task.id,
          status: "running",
          leaseOwner: task.leaseOwner,
          leaseExpiresAt: { lt: now },
        },
        data: { updatedAt: now },
      });
      if (count === 0) return null;
      const error = `lease of worker ${task.leaseOwner ?? "?"} expired (attempt ${task.attempts} of ${task.maxAttempts})`;
      if (task.cancelRequested) {
        await endTask(tx, task.id, "canceled", null, now);
        return "canceled" as const;
      }
      if (task.attempts >= task.maxAttempts) {
        await endTask(tx, task.id, "failed", error, now);
        return "failed" as const;
      }
      const availableAt = new Date(now.getTime() + retryDelayMs(task.attempts, args.backoff));
      await requeue(tx, task.id, { availableAt, error, refundAttempt: false, now });
      return "requeued" as const;
    });
    if (outcome) {
      result.reclaimed += 1;
      result[outcome] += 1;
    }
  }
  return result;
}

export type CancelResult = "canceled" | "cancel_requested" | "already_final" | "not_found";

/**
 * A queued task is canceled at once; a running one gets `cancelRequested`, which its worker
 * sees on the next heartbeat and honours between tiles. Pass `teamId` to scope the lookup.
 */
export async function requestCancel(
  db: Db,
  args: { taskId: string; teamId?: string; now?: Date },
): Promise<CancelResult> {
  const now = args.now ?? new Date();
  const scope = { id: args.taskId, ...(args.teamId ? { teamId: args.teamId } : {}) };
  return db.$transaction(async (tx) => {
    const queued = await tx.task.updateMany({
      where: { ...scope, status: "queued" },
      data: { status: "canceled", cancelRequested: true, finishedAt: now, updatedAt: now },
    });
    if (queued.count > 0) {
      await cancelUnfinishedItems(tx, args.taskId, now);
      await refreshCounters(tx, args.taskId);
      return "canceled";
    }
    const running = await tx.task.updateMany({
      where: { ...scope, status: "running" },
      data: { cancelRequested: true, updatedAt: now },
    });
    if (running.count > 0) return "cancel_requested";
    const existing = await tx.task.findFirst({ where: scope, select: { id: true } });
    return existing ? "already_final" : "not_found";
  });
}

export type RetryResult = "requeued" | "not_final" | "nothing_to_retry" | "not_found";

/**
 * "Retry failed items": puts a finished task's failed and canceled items back in the queue
 * and the task with them, with a fresh attempt budget. Succeeded items keep their results.
 */
export async function retryFailedItems(
  db: Db,
  args: { taskId: string; teamId?: string; now?: Date },
): Promise<RetryResult> {
  const now = args.now ?? new Date();
  const scope = { id: args.taskId, ...(args.teamId ? { teamId: args.teamId } : {}) };
  return db.$transaction(async (tx) => {
    const { count } = await tx.task.updateMany({
      where: { ...scope, status: { in: ["partially_failed", "failed", "canceled"] } },
      data: { updatedAt: now },
    });
    if (count === 0) {
      const existing = await tx.task.findFirst({ where: scope, select: { id: true } });
      return existing ? "not_final" : "not_found";
    }
    const items = await tx.taskItem.updateMany({
      where: { taskId: args.taskId, status: { in: ["failed", "canceled"] } },
      data: { status: "queued", progress: 0, error: null, startedAt: null, finishedAt: null },
    });
    if (items.count === 0) return "nothing_to_retry";
    const counts = await refreshCounters(tx, args.taskId);
    const task = await tx.task.findUniqueOrThrow({
      where: { id: args.taskId },
      select: { itemCount: true },
    });
    await tx.task.update({
      where: { id: args.taskId },
      data: {
        status: "queued",
        attempts: 0,
        cancelRequested: false,
        error: null,
        finishedAt: null,
        availableAt: now,
        progress: task.itemCount > 0 ? counts.succeeded / task.itemCount : 0,
        updatedAt: now,
      },
      select: { id: true },
    });
    await notifyTaskQueued(tx);
    return "requeued";
  });
}

export interface CreateTaskInput {
  teamId: string;
  createdById: string;
  weightId: string;
  weightSha256: string;
  taskKind: string;
  /** Validated parameters: a JSON string or a value to serialise. */
  params: string | Record<string, unknown>;
  paramSignature: string;
  imageIds: string[];
  datasetId?: string | null;
  idempotencyKey?: string | null;
  maxAttempts?: number;
  /** What people call the task (the API makes a default from the kind and the images). */
  name?: string;
}

/**
 * Stores a queued task and its items (one per image, in order) and wakes idle workers on
 * PostgreSQL (wakeups.ts). With an idempotency key, a second call with the same key for the
 * same team returns the first task instead.
 */
export async function createTask(
  db: Db,
  input: CreateTaskInput,
): Promise<{ id: string; created: boolean }> {
  const key = input.idempotencyKey ?? null;
  if (key) {
    const existing = await db.task.findUnique({
      where: { teamId_idempotencyKey: { teamId: input.teamId, idempotencyKey: key } },
      select: { id: true },
    });
    if (existing) return { id: existing.id, created: false };
  }
  const now = new Date();
  try {
    const task = await db.task.create({
      data: {
        teamId: input.teamId,
        createdById: input.createdById,
        weightId: input.weightId,
        weightSha256: input.weightSha256,
        datasetId: input.datasetId ?? null,
        taskKind: input.taskKind,
        name: input.name ?? "",
        params: typeof input.params === "string" ? input.params : JSON.stringify(input.params),
        paramSignature: input.paramSignature,
        idempotencyKey: key,
        itemCount: input.imageIds.length,
        ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
        availableAt: now,
        createdAt: now,
        items: { create: input.imageIds.map((imageId, position) => ({ imageId, position })) },
      },
      select: { id: true },
    });
    // Wakes idle workers on PostgreSQL. The task is stored either way, and a worker that
    // misses the wake-up finds it at its next poll, so a failed notification is not an error.
    await notifyTaskQueued(db).catch(() => {});
    return { id: task.id, created: true };
  } catch (error) {
    if (key && isUniqueViolation(error)) {
      const existing = await db.task.findUnique({
        where: { teamId_idempotencyKey: { teamId: input.teamId, idempotencyKey: key } },
        select: { id: true },
      });
      if (existing) return { id: existing.id, created: false };
    }
    throw error;
  }
}

// --- shared steps (inside a transaction) ---

/**
 * First statement of every lease-guarded transaction: a write, so SQLite takes its write lock
 * before anything is read (a read-then-write transaction could fail with SQLITE_BUSY), and the
 * check that `workerId` still holds the lease.
 */
async function touchLease(tx: Tx, taskId: string, workerId: string, now: Date): Promise<boolean> {
  const { count } = await tx.task.updateMany({
    where: { id: taskId, leaseOwner: workerId, status: "running" },
    data: { updatedAt: now },
  });
  return count > 0;
}

async function requeue(
  tx: Tx,
  taskId: string,
  opts: { availableAt: Date; error: string | null; refundAttempt: boolean; now: Date },
): Promise<void> {
  await tx.task.update({
    where: { id: taskId },
    data: {
      status: "queued",
      availableAt: opts.availableAt,
      leaseOwner: null,
      leaseExpiresAt: null,
      ...(opts.error !== null ? { error: opts.error } : {}),
      ...(opts.refundAttempt ? { attempts: { decrement: 1 } } : {}),
      updatedAt: opts.now,
    },
    select: { id: true },
  });
  // An item caught mid-run will be run again from the start.
  await tx.taskItem.updateMany({
    where: { taskId, status: "running" },
    data: { status: "queued", progress: 0, startedAt: null },
  });
}

async function endTask(
  tx: Tx,
  taskId: string,
  status: "failed" | "canceled",
  error: string | null,
  now: Date,
): Promise<void> {
  if (status === "canceled") {
    await cancelUnfinishedItems(tx, taskId, now);
  } else {
    await tx.taskItem.updateMany({
      where: { taskId, status: { in: ["queued", "running"] } },
      data: {
        status: "failed",
        error: `task failed: ${error ?? "unknown error"}`,
        finishedAt: now,
      },
    });
  }
  const counts = await refreshCounters(tx, taskId);
  await tx.task.update({
    where: { id: taskId },
    data: {
      status,
      error,
      itemsDone: counts.succeeded,
      itemsFailed: counts.failed,
      finishedAt: now,
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: now,
    },
    select: { id: true },
  });
}

async function cancelUnfinishedItems(tx: Tx, taskId: string, now: Date): Promise<void> {
  await tx.taskItem.updateMany({
    where: { taskId, status: { in: ["queued", "running"] } },
    data: { status: "canceled", finishedAt: now },
  });
}

export interface ItemCounts {
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  canceled: number;
}

export async function countItems(db: DbOrTx, taskId: string): Promise<ItemCounts> {
  const groups = await db.taskItem.groupBy({
    by: ["status"],
    where: { taskId },
    _count: { _all: true },
  });
  const counts: ItemCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
  for (const group of groups) {
    if (group.status in counts) counts[group.status as keyof ItemCounts] = group._count._all;
  }
  return counts;
}

/**
 * Recomputes the task's item counters from the item rows rather than incrementing them, so a
 * re-run item (after a reclaim) can never be counted twice; progress only moves forward.
 */
export async function refreshCounters(tx: Tx, taskId: string): Promise<ItemCounts> {
  const counts = await countItems(tx, taskId);
  const task = await tx.task.findUniqueOrThrow({
    where: { id: taskId },
    select: { itemCount: true, progress: true },
  });
  const finished = counts.succeeded + counts.failed;
  const fraction = task.itemCount > 0 ? finished / task.itemCount : 0;
  await tx.task.update({
    where: { id: taskId },
    data: {
      itemsDone: counts.succeeded,
      itemsFailed: counts.failed,
      progress: Math.max(task.progress, fraction),
    },
    select: { id: true },
  });
  return counts;
}

async function failureSummary(tx: Tx, taskId: string, counts: ItemCounts): Promise<string> {
  const first = await tx.taskItem.findFirst({
    where: { taskId, status: "failed" },
    orderBy: { position: "asc" },
    select: { position: true, error: true },
  });
  const total = counts.succeeded + counts.failed + counts.canceled;
  return `${counts.failed} of ${total} item(s) failed; first (#${first?.position ?? "?"}): ${first?.error ?? "unknown error"}`;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === "1" || value === "true";
}

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002"
  );
}
