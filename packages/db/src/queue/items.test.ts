import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../client";
import type { TestDatabase, TestFixtures } from "../testing";
import { createFixtureTask, createTestStoreWithFixtures, PROVIDERS } from "../testing";
import { completeItem, failItem, listPendingItems, startItem } from "./items";
import { claimNextTask, reclaimExpiredLeases } from "./tasks";

let store: TestDatabase;
let db: Db;
let fx: TestFixtures;

/** A task claimed by worker w1 and the first of its pending items. */
async function claimedTask() {
  const id = await createFixtureTask(db, fx);
  await claimNextTask(db, { workerId: "w1", leaseMs: 60_000 });
  const items = await listPendingItems(db, id);
  const item = items[0];
  if (!item) throw new Error("no item");
  return { id, item };
}

/** The task's item counters and progress, as the store has them now. */
const counters = (id: string) =>
  db.task.findUniqueOrThrow({
    where: { id },
    select: { itemsDone: true, itemsFailed: true, progress: true },
  });

const result = {
  path: "results/t/0.png",
  sha256: "c".repeat(64),
  bytes: 1234,
  meta: { probabilityMap: "results/t/0.prob.png" },
  device: "cpu",
  timings: { decode: 1, run: 2 },
  paramSignature: "sig",
};

describe.each(PROVIDERS)("on %s", (provider) => {
  beforeEach(async () => {
    ({ store, db, fx } = await createTestStoreWithFixtures({ images: 2, provider }));
  });
  afterEach(async () => {
    await store.cleanup();
  });

  describe("completeItem", () => {
    it("records path, sha256, size, meta, device, timings and signature with status succeeded", async () => {
      const { id, item } = await claimedTask();
      expect(item.image.storagePath).toContain("uploads/");
      expect(await startItem(db, { taskId: id, itemId: item.id, workerId: "w1" })).toBe(true);
      expect(await completeItem(db, { taskId: id, itemId: item.id, workerId: "w1", result })).toBe(
        "recorded",
      );
      const row = await db.taskItem.findUniqueOrThrow({
        where: { id: item.id },
        select: {
          status: true,
          resultPath: true,
          resultSha256: true,
          resultBytes: true,
          resultMeta: true,
          device: true,
          timings: true,
          paramSignature: true,
          progress: true,
        },
      });
      expect(row).toEqual({
        status: "succeeded",
        resultPath: "results/t/0.png",
        resultSha256: "c".repeat(64),
        resultBytes: 1234,
        resultMeta: JSON.stringify(result.meta),
        device: "cpu",
        timings: JSON.stringify(result.timings),
        paramSignature: "sig",
        progress: 1,
      });
      expect(await counters(id)).toMatchObject({ itemsDone: 1, progress: 0.5 });
    });

    it("is idempotent: a second completion of the same item is refused and counted once", async () => {
      const { id, item } = await claimedTask();
      await startItem(db, { taskId: id, itemId: item.id, workerId: "w1" });
      expect(await completeItem(db, { taskId: id, itemId: item.id, workerId: "w1", result })).toBe(
        "recorded",
      );
      expect(
        await completeItem(db, {
          taskId: id,
          itemId: item.id,
          workerId: "w1",
          result: { ...result, path: "other.png" },
        }),
      ).toBe("already_succeeded");
      expect(
        await failItem(db, { taskId: id, itemId: item.id, workerId: "w1", error: "late" }),
      ).toBe("already_succeeded");
      expect(await startItem(db, { taskId: id, itemId: item.id, workerId: "w1" })).toBe(false);
      const row = await db.taskItem.findUniqueOrThrow({
        where: { id: item.id },
        select: { resultPath: true, status: true },
      });
      expect(row).toEqual({ resultPath: "results/t/0.png", status: "succeeded" });
      expect(await counters(id)).toMatchObject({ itemsDone: 1 });
      expect((await listPendingItems(db, id)).map((i) => i.id)).not.toContain(item.id);
    });

    it("refuses a worker that does not hold the lease, and unknown items", async () => {
      const { id, item } = await claimedTask();
      expect(await completeItem(db, { taskId: id, itemId: item.id, workerId: "w2", result })).toBe(
        "lease_lost",
      );
      expect(
        await completeItem(db, { taskId: id, itemId: "missing", workerId: "w1", result }),
      ).toBe("not_found");
      expect(await startItem(db, { taskId: id, itemId: item.id, workerId: "w2" })).toBe(false);
    });

    it("a failed item counts once even when a retry fails it again, and succeeds on a later try", async () => {
      const { id, item } = await claimedTask();
      await startItem(db, { taskId: id, itemId: item.id, workerId: "w1" });
      expect(await failItem(db, { taskId: id, itemId: item.id, workerId: "w1", error: "e1" })).toBe(
        "recorded",
      );
      await startItem(db, { taskId: id, itemId: item.id, workerId: "w1" });
      expect(await failItem(db, { taskId: id, itemId: item.id, workerId: "w1", error: "e2" })).toBe(
        "recorded",
      );
      expect(await counters(id)).toMatchObject({ itemsFailed: 1 });
      await startItem(db, { taskId: id, itemId: item.id, workerId: "w1" });
      expect(await completeItem(db, { taskId: id, itemId: item.id, workerId: "w1", result })).toBe(
        "recorded",
      );
      expect(await counters(id)).toMatchObject({ itemsFailed: 0, itemsDone: 1 });
    });

    it("after a reclaim the old worker cannot record a result", async () => {
      const { id, item } = await claimedTask();
      await startItem(db, { taskId: id, itemId: item.id, workerId: "w1" });
      await reclaimExpiredLeases(db, { now: new Date(Date.now() + 120_000) });
      expect(await completeItem(db, { taskId: id, itemId: item.id, workerId: "w1", result })).toBe(
        "lease_lost",
      );
    });
  });
});
