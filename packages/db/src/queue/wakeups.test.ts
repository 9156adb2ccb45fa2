import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../client";
import {
  createFixtureTask,
  createTestStoreWithFixtures,
  PROVIDERS,
  type TestDatabase,
  type TestFixtures,
} from "../testing";
import { claimNextTask, completeTask, failTask, releaseTask, retryFailedItems } from "./tasks";
import { type QueueWakeups, subscribeToQueuedTasks, TASK_QUEUED_CHANNEL } from "./wakeups";

let store: TestDatabase;
let db: Db;
let fx: TestFixtures;
let wakeups: QueueWakeups | undefined;

/** Long enough that a "timeout" answer can only mean the wake-up never came. */
const POLL_MS = 20_000;

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}

afterEach(async () => {
  await wakeups?.close();
  wakeups = undefined;
});

describe.each(PROVIDERS)("on %s", (provider) => {
  beforeEach(async () => {
    ({ store, db, fx } = await createTestStoreWithFixtures({ images: 1, provider }));
  });
  afterEach(async () => {
    await store.cleanup();
  });

  it("waitForWork ends at the poll timeout without work and at once on abort or close", async () => {
    wakeups = subscribeToQueuedTasks(store.url);
    await wakeups.ready;
    expect(await wakeups.waitForWork(1)).toBe("timeout");
    const stop = new AbortController();
    const waiting = wakeups.waitForWork(POLL_MS, stop.signal);
    stop.abort();
    expect(await waiting).toBe("aborted");
    const open = wakeups.waitForWork(POLL_MS);
    await wakeups.close();
    expect(await open).toBe("aborted");
    expect(await wakeups.waitForWork(POLL_MS)).toBe("aborted");
  });
});

describe("on sqlite", () => {
  beforeEach(async () => {
    ({ store, db, fx } = await createTestStoreWithFixtures({ images: 1, provider: "sqlite" }));
  });
  afterEach(async () => {
    await store.cleanup();
  });

  it("wakes an idle waiter when another connection queues a task, long before the poll", async () => {
    let received = 0;
    wakeups = subscribeToQueuedTasks(store.url, {
      onQueued: () => {
        received += 1;
      },
    });
    const w = wakeups;
    expect(w.listening).toBe(true);
    const waiting = w.waitForWork(POLL_MS);
    expect(w.waiting).toBe(1);
    const id = await createFixtureTask(db, fx);
    expect(await waiting).toBe("notified");
    expect(w.waiting).toBe(0);
    expect((await claimNextTask(db, { workerId: "w1", leaseMs: 60_000 }))?.id).toBe(id);
    expect(received).toBe(1);

    // A task handed back to the queue for later (retry backoff) wakes nobody before it is due:
    // the poll finds it. (A timeout here can only mean no wake-up, never a slow machine.)
    expect(
      await failTask(db, { taskId: id, workerId: "w1", error: "x", backoff: { baseMs: 600_000 } }),
    ).toMatchObject({ status: "queued" });
    expect(await w.waitForWork(300)).toBe("timeout");
    expect(received).toBe(1);
    await w.close();
    expect(w.listening).toBe(false);
  });

  it("keeps a wake-up that came while nobody waited for the next wait", async () => {
    let received = 0;
    wakeups = subscribeToQueuedTasks(store.url, {
      onQueued: () => {
        received += 1;
      },
    });
    await createFixtureTask(db, fx);
    await until(() => received === 1);
    expect(await wakeups.waitForWork(POLL_MS)).toBe("notified");
  });
});

describe("on postgresql", () => {
  beforeEach(async () => {
    ({ store, db, fx } = await createTestStoreWithFixtures({ images: 1, provider: "postgresql" }));
  });
  afterEach(async () => {
    await store.cleanup();
  });

  async function listen(onQueued?: () => void): Promise<QueueWakeups> {
    wakeups = subscribeToQueuedTasks(store.url, { onQueued, reconnectMs: { min: 50, max: 200 } });
    await wakeups.ready;
    expect(wakeups.listening).toBe(true);
    return wakeups;
  }

  it("wakes every idle waiter when a task is queued, long before the poll", async () => {
    const w = await listen();
    const waiting = [w.waitForWork(POLL_MS), w.waitForWork(POLL_MS)];
    const id = await createFixtureTask(db, fx);
    expect(await Promise.all(waiting)).toEqual(["notified", "notified"]);
    expect((await claimNextTask(db, { workerId: "w1", leaseMs: 60_000 }))?.id).toBe(id);
  });

  it("keeps a wake-up that came while nobody waited for the next wait", async () => {
    let received = 0;
    const w = await listen(() => {
      received += 1;
    });
    await createFixtureTask(db, fx);
    await until(() => received === 1);
    expect(await w.waitForWork(POLL_MS)).toBe("notified");
    // Consumed: the next wait has nothing pending.
    expect(await w.waitForWork(1)).toBe("timeout");
  });

  it("a released task and a retried one wake the waiters too", async () => {
    const id = await createFixtureTask(db, fx);
    const w = await listen();
    await claimNextTask(db, { workerId: "w1", leaseMs: 60_000 });
    const released = w.waitForWork(POLL_MS);
    expect(await releaseTask(db, { taskId: id, workerId: "w1" })).toBe(true);
    expect(await released).toBe("notified");

    await claimNextTask(db, { workerId: "w2", leaseMs: 60_000 });
    await db.taskItem.updateMany({ where: { taskId: id }, data: { status: "failed" } });
    expect(await completeTask(db, { taskId: id, workerId: "w2" })).toEqual({ status: "failed" });
    const retried = w.waitForWork(POLL_MS);
    expect(await retryFailedItems(db, { taskId: id })).toBe("requeued");
    expect(await retried).toBe("notified");
  });

  it("listens again after its connection is cut and wakes waiters for what it may have missed", async () => {
    const errors: Error[] = [];
    wakeups = subscribeToQueuedTasks(store.url, {
      onError: (error) => errors.push(error),
      reconnectMs: { min: 50, max: 200 },
    });
    await wakeups.ready;
    const w = wakeups;
    const waiting = w.waitForWork(POLL_MS);
    const cut = await db.$queryRaw<{ cut: boolean }[]>`
      SELECT pg_terminate_backend("pid") AS "cut" FROM pg_stat_activity
      WHERE "datname" = current_database() AND "query" = ${`LISTEN ${TASK_QUEUED_CHANNEL}`}`;
    expect(cut).toEqual([{ cut: true }]);
    // The reconnect wakes the waiter: a task queued while it was down would otherwise wait.
    expect(await waiting).toBe("notified");
    expect(errors.length).toBeGreaterThan(0);
    await until(() => w.listening);
    const next = w.waitForWork(POLL_MS);
    await createFixtureTask(db, fx);
    expect(await next).toBe("notified");
  });
});
