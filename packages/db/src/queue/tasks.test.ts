import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../client";
import type { TestDatabase, TestFixtures } from "../testing";
import { createFixtureTask, createTestStoreWithFixtures, PROVIDERS } from "../testing";
import { completeItem, failItem, listPendingItems, startItem } from "./items";
import { retryDelayMs } from "./status";
import {
  AFFINITY_WINDOW,
  claimNextTask,
  completeTask,
  createTask,
  failTask,
  heartbeat,
  MAX_PREFERRED_WEIGHTS,
  reclaimExpiredLeases,
  releaseTask,
  requestCancel,
  retryFailedItems,
  updateProgress,
} from "./tasks";

let store: TestDatabase;
let db: Db;
let fx: TestFixtures;
const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

async function newTask(
  opts: { images?: number; maxAttempts?: number; createdAt?: Date; weightSha256?: string } = {},
) {
  const id = await createFixtureTask(db, fx, {
    params: { tile: 192 },
    paramSignature: "sig-1",
    imageIds: fx.imageIds.slice(0, opts.images ?? 3),
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.weightSha256 !== undefined ? { weightSha256: opts.weightSha256 } : {}),
  });
  // Pin creation and due times so ordering and backoff are deterministic.
  await db.task.update({
    where: { id },
    data: { createdAt: opts.createdAt ?? T0, availableAt: T0 },
  });
  return id;
}

const result = (n: number) => ({
  path: `results/x/${n}.png`,
  sha256: "b".repeat(64),
  bytes: 10 + n,
  meta: { topk: [] },
  device: "cpu",
  timings: { run: 5 },
  paramSignature: "sig-1",
});

/** Starts the first pending item of the task for `workerId`. */
async function startNextItem(taskId: string, workerId: string) {
  const [item] = await listPendingItems(db, taskId);
  if (!item) throw new Error("no item");
  await startItem(db, { taskId, itemId: item.id, workerId });
  return item;
}

async function runAllItems(taskId: string, workerId: string, fail: number[] = []) {
  for (const item of await listPendingItems(db, taskId)) {
    expect(await startItem(db, { taskId, itemId: item.id, workerId, now: at(10) })).toBe(true);
    if (fail.includes(item.position)) {
      expect(
        await failItem(db, {
          taskId,
          itemId: item.id,
          workerId,
          error: `bad image ${item.position}`,
        }),
      ).toBe("recorded");
    } else {
      expect(
        await completeItem(db, {
          taskId,
          itemId: item.id,
          workerId,
          result: result(item.position),
        }),
      ).toBe("recorded");
    }
  }
}

describe.each(PROVIDERS)("on %s", (provider) => {
  beforeEach(async () => {
    ({ store, db, fx } = await createTestStoreWithFixtures({ images: 3, provider }));
  });
  afterEach(async () => {
    await store.cleanup();
  });

  describe("claimNextTask", () => {
    it("claims the oldest due task, leases it and counts the attempt", async () => {
      const newer = await newTask({ createdAt: at(5) });
      const older = await newTask({ createdAt: at(1) });
      const claimed = await claimNextTask(db, { workerId: "w1", leaseMs: 30_000, now: at(100) });
      expect(claimed?.id).toBe(older);
      expect(claimed?.attempts).toBe(1);
      expect(claimed?.leaseOwner).toBe("w1");
      expect(claimed?.leaseExpiresAt?.getTime()).toBe(at(30_100).getTime());
      expect(claimed?.weightSha256).toBe(fx.weightSha256);
      const task = await db.task.findUniqueOrThrow({
        where: { id: older },
        select: { status: true, startedAt: true },
      });
      expect(task).toEqual({ status: "running", startedAt: at(100) });
      expect((await claimNextTask(db, { workerId: "w2", leaseMs: 30_000, now: at(100) }))?.id).toBe(
        newer,
      );
      expect(await claimNextTask(db, { workerId: "w3", leaseMs: 30_000, now: at(100) })).toBeNull();
    });

    it("skips tasks that are not due yet or being canceled", async () => {
      const later = await newTask();
      await db.task.update({ where: { id: later }, data: { availableAt: at(10_000) } });
      const canceling = await newTask();
      await db.task.update({ where: { id: canceling }, data: { cancelRequested: true } });
      expect(await claimNextTask(db, { workerId: "w1", leaseMs: 1000, now: at(9_999) })).toBeNull();
      expect(
        (await claimNextTask(db, { workerId: "w1", leaseMs: 1000, now: at(10_000) }))?.id,
      ).toBe(later);
    });
  });

  describe("claimNextTask with preferred weights (affinity)", () => {
    const HELD = "a".repeat(64);
    const OTHER = "c".repeat(64);
    const claim = (preferWeights?: readonly string[]) =>
      claimNextTask(db, {
        workerId: "w1",
        leaseMs: 60_000,
        now: at(100_000),
        ...(preferWeights ? { preferWeights } : {}),
      }).then((task) => task?.id ?? null);

    it("takes the oldest task of a held weight before older tasks of other weights", async () => {
      const oldest = await newTask({ createdAt: at(1), weightSha256: OTHER });
      const older = await newTask({ createdAt: at(2), weightSha256: OTHER });
      const held = await newTask({ createdAt: at(3), weightSha256: HELD });
      const heldLater = await newTask({ createdAt: at(4), weightSha256: HELD });
      // Still skipped with a preference: not due yet, or being canceled.
      const notDue = await newTask({ createdAt: at(0), weightSha256: HELD });
      await db.task.update({ where: { id: notDue }, data: { availableAt: at(200_000) } });
      const canceling = await newTask({ createdAt: at(0), weightSha256: HELD });
      await db.task.update({ where: { id: canceling }, data: { cancelRequested: true } });

      // An empty list is no preference: the oldest, as without one.
      expect(await claim([])).toBe(oldest);
      expect(await claim(["d".repeat(64), HELD])).toBe(held);
      expect(await claim([HELD])).toBe(heldLater);
      // None of the held weight left: the oldest again.
      expect(await claim([HELD])).toBe(older);
      expect(await claim([HELD])).toBeNull();
    });

    it("takes the oldest task when no task of a held weight is in the window", async () => {
      const others: string[] = [];
      for (let i = 1; i <= AFFINITY_WINDOW; i++) {
        others.push(await newTask({ createdAt: at(i), weightSha256: OTHER }));
      }
      // The (AFFINITY_WINDOW + 1)-th task from the oldest: just out of reach.
      const held = await newTask({ createdAt: at(AFFINITY_WINDOW + 1), weightSha256: HELD });
      expect(await claim([HELD])).toBe(others[0]);
      // The window starts at the oldest due task, so it now reaches the held weight's task.
      expect(await claim([HELD])).toBe(held);
      expect(await claim([HELD])).toBe(others[1]);
    });

    it("bounds the wait of another weight's task: it is passed over at most AFFINITY_WINDOW - 1 times, however many held-weight tasks keep coming", async () => {
      const other = await newTask({ createdAt: at(0), weightSha256: OTHER });
      const held: string[] = [];
      for (let i = 1; i <= AFFINITY_WINDOW + 1; i++) {
        held.push(await newTask({ createdAt: at(i), weightSha256: HELD }));
      }
      const claims: (string | null)[] = [];
      for (let n = 0; n < AFFINITY_WINDOW; n++) {
        claims.push(await claim([HELD]));
        // A stream: another task of the held weight arrives after every claim.
        held.push(await newTask({ createdAt: at(100 + n), weightSha256: HELD }));
      }
      // The first AFFINITY_WINDOW - 1 claims take held-weight tasks (oldest first); then the
      // window from `other` holds no queued task of the held weight, and `other` is taken
      // although more of them than ever are queued behind it.
      expect(claims).toEqual([...held.slice(0, AFFINITY_WINDOW - 1), other]);
      expect(await db.task.count({ where: { status: "queued", weightSha256: HELD } })).toBe(
        held.length - (AFFINITY_WINDOW - 1),
      );
      expect(held.length - (AFFINITY_WINDOW - 1)).toBeGreaterThan(AFFINITY_WINDOW);
      // After it, the held weight's tasks again, in order.
      expect(await claim([HELD])).toBe(held[AFFINITY_WINDOW - 1]);
    });

    it("uses only the first MAX_PREFERRED_WEIGHTS distinct sha256s of the list", async () => {
      const oldest = await newTask({ createdAt: at(1), weightSha256: OTHER });
      const held = await newTask({ createdAt: at(2), weightSha256: HELD });
      const filler = (i: number) => i.toString(16).padStart(64, "0");
      const tooLong = [...Array.from({ length: MAX_PREFERRED_WEIGHTS }, (_, i) => filler(i)), HELD];
      expect(await claim(tooLong)).toBe(oldest);
      expect(await releaseTask(db, { taskId: oldest, workerId: "w1", now: at(100_000) })).toBe(
        true,
      );
      // Repeats count once, so the held weight is within the bound here.
      const repeated = [...Array.from({ length: 200 }, () => filler(1)), HELD];
      expect(await claim(repeated)).toBe(held);
    });
  });

  describe("heartbeat and progress", () => {
    it("extends the lease only while it is held and reports a cancel request", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "w1", leaseMs: 1000, now: at(0) });
      expect(
        await heartbeat(db, { taskId: id, workerId: "w1", leaseMs: 5000, now: at(500) }),
      ).toEqual({
        held: true,
        cancelRequested: false,
      });
      const task = await db.task.findUniqueOrThrow({
        where: { id },
        select: { leaseExpiresAt: true },
      });
      expect(task.leaseExpiresAt).toEqual(at(5500));
      expect(
        await heartbeat(db, { taskId: id, workerId: "other", leaseMs: 5000, now: at(600) }),
      ).toEqual({
        held: false,
        cancelRequested: false,
      });
      expect(await requestCancel(db, { taskId: id })).toBe("cancel_requested");
      expect(
        await heartbeat(db, { taskId: id, workerId: "w1", leaseMs: 5000, now: at(700) }),
      ).toEqual({
        held: true,
        cancelRequested: true,
      });
    });

    it("writes progress for the lease holder only", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "w1", leaseMs: 1000, now: at(0) });
      const item = await startNextItem(id, "w1");
      expect(
        await updateProgress(db, {
          taskId: id,
          workerId: "w1",
          progress: 0.25,
          itemId: item.id,
          itemProgress: 0.75,
        }),
      ).toBe(true);
      expect(await updateProgress(db, { taskId: id, workerId: "w2", progress: 0.9 })).toBe(false);
      expect(
        await db.task.findUniqueOrThrow({ where: { id }, select: { progress: true } }),
      ).toEqual({
        progress: 0.25,
      });
      expect(
        await db.taskItem.findUniqueOrThrow({ where: { id: item.id }, select: { progress: true } }),
      ).toEqual({
        progress: 0.75,
      });
    });
  });

  describe("completeTask", () => {
    it("ends succeeded when every item succeeded, with counters and lease cleared", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(0) });
      await runAllItems(id, "w1");
      expect(await completeTask(db, { taskId: id, workerId: "w1", now: at(50) })).toEqual({
        status: "succeeded",
      });
      const task = await db.task.findUniqueOrThrow({
        where: { id },
        select: {
          status: true,
          itemsDone: true,
          itemsFailed: true,
          progress: true,
          leaseOwner: true,
          finishedAt: true,
          device: true,
        },
      });
      expect(task).toEqual({
        status: "succeeded",
        itemsDone: 3,
        itemsFailed: 0,
        progress: 1,
        leaseOwner: null,
        finishedAt: at(50),
        device: "cpu",
      });
      expect(await completeTask(db, { taskId: id, workerId: "w1" })).toBeNull();
    });

    it("ends partially_failed when some items failed and failed when all did", async () => {
      const partial = await newTask();
      await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(0) });
      await runAllItems(partial, "w1", [1]);
      expect(await completeTask(db, { taskId: partial, workerId: "w1" })).toEqual({
        status: "partially_failed",
      });
      const p = await db.task.findUniqueOrThrow({
        where: { id: partial },
        select: { itemsDone: true, itemsFailed: true, error: true },
      });
      expect(p.itemsDone).toBe(2);
      expect(p.itemsFailed).toBe(1);
      expect(p.error).toContain("bad image 1");

      const allBad = await newTask({ createdAt: at(1) });
      await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(0) });
      await runAllItems(allBad, "w1", [0, 1, 2]);
      expect(await completeTask(db, { taskId: allBad, workerId: "w1" })).toEqual({
        status: "failed",
      });
    });

    it("refuses while items have not been run", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(0) });
      await expect(completeTask(db, { taskId: id, workerId: "w1" })).rejects.toThrow(
        /not been run/,
      );
    });
  });

  describe("failTask: retry with backoff up to maxAttempts", () => {
    it("requeues with exponential backoff, then fails at maxAttempts keeping the last error", async () => {
      const id = await newTask({ maxAttempts: 3 });
      const backoff = { baseMs: 1000, maxMs: 60_000 };
      let now = at(0);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const claimed = await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now });
        expect(claimed?.attempts).toBe(attempt);
        const res = await failTask(db, {
          taskId: id,
          workerId: "w1",
          error: `boom ${attempt}`,
          backoff,
          now,
        });
        if (attempt < 3) {
          const delay = retryDelayMs(attempt, backoff);
          expect(delay).toBe(1000 * 2 ** (attempt - 1));
          expect(res).toEqual({ status: "queued", availableAt: new Date(now.getTime() + delay) });
          // Not claimable during the backoff, claimable right after.
          expect(
            await claimNextTask(db, {
              workerId: "w1",
              leaseMs: 60_000,
              now: new Date(now.getTime() + delay - 1),
            }),
          ).toBeNull();
          now = new Date(now.getTime() + delay);
        } else {
          expect(res).toEqual({ status: "failed", availableAt: null });
        }
      }
      const task = await db.task.findUniqueOrThrow({
        where: { id },
        select: { status: true, attempts: true, error: true, leaseOwner: true, itemsFailed: true },
      });
      expect(task).toEqual({
        status: "failed",
        attempts: 3,
        error: "boom 3",
        leaseOwner: null,
        itemsFailed: 3,
      });
      expect(
        await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(10_000_000) }),
      ).toBeNull();
    });

    it("fails at once when the failure is permanent, and ignores a worker without the lease", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(0) });
      expect(await failTask(db, { taskId: id, workerId: "w2", error: "x" })).toBeNull();
      expect(
        await failTask(db, {
          taskId: id,
          workerId: "w1",
          error: "weight file missing",
          permanent: true,
        }),
      ).toEqual({
        status: "failed",
        availableAt: null,
      });
    });
  });

  describe("reclaimExpiredLeases", () => {
    it("requeues a task whose worker stopped heartbeating; the next worker resumes its unfinished items", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "dead", leaseMs: 1000, now: at(0) });
      const first = await startNextItem(id, "dead");
      expect(
        await completeItem(db, {
          taskId: id,
          itemId: first.id,
          workerId: "dead",
          result: result(0),
        }),
      ).toBe("recorded");
      const second = await startNextItem(id, "dead");

      expect(await reclaimExpiredLeases(db, { now: at(999) })).toEqual({
        reclaimed: 0,
        requeued: 0,
        failed: 0,
        canceled: 0,
      });
      const backoff = { baseMs: 2000 };
      expect(await reclaimExpiredLeases(db, { now: at(1001), backoff })).toEqual({
        reclaimed: 1,
        requeued: 1,
        failed: 0,
        canceled: 0,
      });
      const requeued = await db.task.findUniqueOrThrow({
        where: { id },
        select: { status: true, leaseOwner: true, availableAt: true, error: true },
      });
      expect(requeued.status).toBe("queued");
      expect(requeued.leaseOwner).toBeNull();
      expect(requeued.availableAt).toEqual(at(3001));
      expect(requeued.error).toContain("lease of worker dead expired");
      expect(
        await db.taskItem.findUniqueOrThrow({ where: { id: second.id }, select: { status: true } }),
      ).toEqual({
        status: "queued",
      });

      const again = await claimNextTask(db, { workerId: "w2", leaseMs: 60_000, now: at(3001) });
      expect(again?.attempts).toBe(2);
      const pending = await listPendingItems(db, id);
      expect(pending.map((p) => p.position)).toEqual([1, 2]);
      // The dead worker comes back to life: its writes are refused.
      expect(
        await completeItem(db, {
          taskId: id,
          itemId: second.id,
          workerId: "dead",
          result: result(1),
        }),
      ).toBe("lease_lost");
      await runAllItems(id, "w2");
      expect(await completeTask(db, { taskId: id, workerId: "w2" })).toEqual({
        status: "succeeded",
      });
      const items = await db.taskItem.findMany({
        where: { taskId: id },
        select: { status: true, resultPath: true },
      });
      expect(items.every((i) => i.status === "succeeded" && i.resultPath)).toBe(true);
      expect(
        await db.task.findUniqueOrThrow({ where: { id }, select: { itemsDone: true } }),
      ).toEqual({ itemsDone: 3 });
    });

    it("fails a task whose last allowed attempt expired", async () => {
      const id = await newTask({ maxAttempts: 1 });
      await claimNextTask(db, { workerId: "dead", leaseMs: 1000, now: at(0) });
      expect(await reclaimExpiredLeases(db, { now: at(5000) })).toEqual({
        reclaimed: 1,
        requeued: 0,
        failed: 1,
        canceled: 0,
      });
      const task = await db.task.findUniqueOrThrow({
        where: { id },
        select: { status: true, error: true, finishedAt: true },
      });
      expect(task.status).toBe("failed");
      expect(task.error).toContain("attempt 1 of 1");
      expect(task.finishedAt).toEqual(at(5000));
    });
  });

  describe("requestCancel", () => {
    it("cancels a queued task at once with its items", async () => {
      const id = await newTask();
      expect(await requestCancel(db, { taskId: id, teamId: fx.teamId })).toBe("canceled");
      const items = await db.taskItem.findMany({ where: { taskId: id }, select: { status: true } });
      expect(items.map((i) => i.status)).toEqual(["canceled", "canceled", "canceled"]);
      expect(await claimNextTask(db, { workerId: "w1", leaseMs: 1000, now: at(0) })).toBeNull();
      expect(await requestCancel(db, { taskId: id })).toBe("already_final");
      expect(await requestCancel(db, { taskId: "nope" })).toBe("not_found");
    });

    it("is scoped by team", async () => {
      const id = await newTask();
      expect(await requestCancel(db, { taskId: id, teamId: "another-team" })).toBe("not_found");
    });

    it("asks a running task to stop; completeTask then cancels what is left and keeps finished results", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(0) });
      const first = await startNextItem(id, "w1");
      await completeItem(db, { taskId: id, itemId: first.id, workerId: "w1", result: result(0) });
      expect(await requestCancel(db, { taskId: id })).toBe("cancel_requested");
      expect(await completeTask(db, { taskId: id, workerId: "w1" })).toEqual({
        status: "canceled",
      });
      const items = await db.taskItem.findMany({
        where: { taskId: id },
        orderBy: { position: "asc" },
        select: { status: true },
      });
      expect(items.map((i) => i.status)).toEqual(["succeeded", "canceled", "canceled"]);
    });

    it("a canceled task whose worker died ends canceled, not requeued", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "dead", leaseMs: 1000, now: at(0) });
      await requestCancel(db, { taskId: id });
      expect(await reclaimExpiredLeases(db, { now: at(2000) })).toMatchObject({
        reclaimed: 1,
        canceled: 1,
      });
      expect(await db.task.findUniqueOrThrow({ where: { id }, select: { status: true } })).toEqual({
        status: "canceled",
      });
    });
  });

  describe("releaseTask", () => {
    it("gives the lease back without counting the attempt and keeps finished items", async () => {
      const id = await newTask();
      await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(0) });
      const first = await startNextItem(id, "w1");
      await completeItem(db, { taskId: id, itemId: first.id, workerId: "w1", result: result(0) });
      expect(await releaseTask(db, { taskId: id, workerId: "w2", now: at(10) })).toBe(false);
      expect(await releaseTask(db, { taskId: id, workerId: "w1", now: at(10) })).toBe(true);
      const task = await db.task.findUniqueOrThrow({
        where: { id },
        select: { status: true, attempts: true, leaseOwner: true },
      });
      expect(task).toEqual({ status: "queued", attempts: 0, leaseOwner: null });
      const next = await claimNextTask(db, { workerId: "w2", leaseMs: 60_000, now: at(10) });
      expect(next?.attempts).toBe(1);
      expect((await listPendingItems(db, id)).map((i) => i.position)).toEqual([1, 2]);
    });
  });

  describe("createTask", () => {
    it("stores items in order and returns the same task for the same idempotency key", async () => {
      const input = {
        teamId: fx.teamId,
        createdById: fx.userId,
        weightId: fx.weightId,
        weightSha256: fx.weightSha256,
        taskKind: "super_resolution",
        params: "{}",
        paramSignature: "sig",
        imageIds: fx.imageIds,
        idempotencyKey: "key-1",
      };
      const first = await createTask(db, input);
      const second = await createTask(db, input);
      expect(first.created).toBe(true);
      expect(second).toEqual({ id: first.id, created: false });
      const task = await db.task.findUniqueOrThrow({
        where: { id: first.id },
        select: {
          itemCount: true,
          status: true,
          items: { orderBy: { position: "asc" }, select: { imageId: true } },
        },
      });
      expect(task.itemCount).toBe(3);
      expect(task.status).toBe("queued");
      expect(task.items.map((i) => i.imageId)).toEqual(fx.imageIds);
      const racing = await Promise.all(
        [1, 2, 3].map(() => createTask(db, { ...input, idempotencyKey: "key-2" })),
      );
      expect(new Set(racing.map((r) => r.id)).size).toBe(1);
      expect(racing.filter((r) => r.created)).toHaveLength(1);
    });
  });

  describe("retryFailedItems", () => {
    it("requeues only the failed items of a finished task and keeps the succeeded results", async () => {
      const id = await newTask();
      expect(await retryFailedItems(db, { taskId: id })).toBe("not_final");
      await claimNextTask(db, { workerId: "w1", leaseMs: 60_000, now: at(0) });
      await runAllItems(id, "w1", [2]);
      await completeTask(db, { taskId: id, workerId: "w1" });
      expect(await retryFailedItems(db, { taskId: id, teamId: "other" })).toBe("not_found");
      expect(await retryFailedItems(db, { taskId: id, teamId: fx.teamId, now: at(100) })).toBe(
        "requeued",
      );
      const task = await db.task.findUniqueOrThrow({
        where: { id },
        select: {
          status: true,
          attempts: true,
          itemsDone: true,
          itemsFailed: true,
          error: true,
          finishedAt: true,
        },
      });
      expect(task).toEqual({
        status: "queued",
        attempts: 0,
        itemsDone: 2,
        itemsFailed: 0,
        error: null,
        finishedAt: null,
      });
      await claimNextTask(db, { workerId: "w2", leaseMs: 60_000, now: at(100) });
      expect((await listPendingItems(db, id)).map((i) => i.position)).toEqual([2]);
      await runAllItems(id, "w2");
      expect(await completeTask(db, { taskId: id, workerId: "w2" })).toEqual({
        status: "succeeded",
      });
      expect(await retryFailedItems(db, { taskId: id })).toBe("not_final");
    });
  });
});
