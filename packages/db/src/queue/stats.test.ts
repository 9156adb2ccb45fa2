import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TestDatabase, TestFixtures } from "../testing";
import { createFixtureTask, createTestStoreWithFixtures, PROVIDERS } from "../testing";
import { queueStats } from "./stats";
import { claimNextTask, requestCancel } from "./tasks";
import { markWorkerStopped, pruneWorkers, registerWorker, workerHeartbeat } from "./workers";

let store: TestDatabase;
let fx: TestFixtures;
const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

async function task() {
  const id = await createFixtureTask(store.db, fx);
  await store.db.task.update({ where: { id }, data: { availableAt: T0, createdAt: T0 } });
  return id;
}

describe.each(PROVIDERS)("on %s", (provider) => {
  beforeEach(async () => {
    ({ store, fx } = await createTestStoreWithFixtures({ images: 1, provider }));
  });
  afterEach(async () => {
    await store.cleanup();
  });

  describe("queueStats", () => {
    it("counts tasks by status, due and delayed, and workers alive by recent heartbeat", async () => {
      await task();
      await task();
      const delayed = await task();
      await store.db.task.update({ where: { id: delayed }, data: { availableAt: at(60_000) } });
      const canceled = await task();
      await requestCancel(store.db, { taskId: canceled });
      await claimNextTask(store.db, { workerId: "w1", leaseMs: 1000, now: at(10) });

      await registerWorker(store.db, {
        id: "w1",
        hostname: "h",
        pid: 1,
        device: "cpu",
        info: { concurrency: 1 },
        now: at(0),
      });
      await registerWorker(store.db, { id: "w2", hostname: "h", pid: 2, now: at(0) });
      await registerWorker(store.db, { id: "w3", hostname: "h", pid: 3, now: at(0) });
      expect(await workerHeartbeat(store.db, { id: "w1", device: "cuda", now: at(25_000) })).toBe(
        true,
      );
      expect(await workerHeartbeat(store.db, { id: "ghost", now: at(25_000) })).toBe(false);
      await markWorkerStopped(store.db, { id: "w3", now: at(1000) });

      const stats = await queueStats(store.db, { now: at(40_000), aliveWithinMs: 30_000 });
      expect(stats.tasks).toEqual({
        queued: 2,
        running: 1,
        succeeded: 0,
        partially_failed: 0,
        failed: 0,
        canceled: 1,
      });
      expect(stats.ready).toBe(1);
      expect(stats.delayed).toBe(1);
      expect(stats.workers.total).toBe(3);
      expect(stats.workers.alive).toBe(1);
      const w1 = stats.workers.list.find((w) => w.id === "w1");
      expect(w1).toMatchObject({
        alive: true,
        device: "cuda",
        info: JSON.stringify({ concurrency: 1 }),
      });

      expect(await pruneWorkers(store.db, { olderThanMs: 60_000, now: at(70_000) })).toBe(2);
    });

    it("re-registering a stopped worker makes it alive again", async () => {
      await registerWorker(store.db, { id: "w1", hostname: "h", pid: 1, now: at(0) });
      await markWorkerStopped(store.db, { id: "w1", now: at(1) });
      await registerWorker(store.db, { id: "w1", hostname: "h", pid: 9, now: at(2) });
      const stats = await queueStats(store.db, { now: at(3) });
      expect(stats.workers.list[0]).toMatchObject({ pid: 9, stoppedAt: null, alive: true });
    });
  });
});
