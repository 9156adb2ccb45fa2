import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "../client";
import { raceProcesses } from "../race-scripts/spawn";
import {
  createTestDatabase,
  createTestFixtures,
  PROVIDERS,
  type TestDatabase,
  type TestFixtures,
} from "../testing";
import { claimNextTask, createTask } from "./tasks";

const TASKS = 50;

let store: TestDatabase;
let fx: TestFixtures;

function expectEachTaskOnce(claims: string[][]) {
  const all = claims.flat();
  expect(all).toHaveLength(TASKS);
  expect(new Set(all).size).toBe(TASKS);
}

/**
 * One client per entry of `preferences` (the weights it prefers) claims at the same time as the
 * others until it is turned away. Every task goes to exactly one client, and no client is turned
 * away while a task nobody is taking is left: only the rows the others are claiming at that
 * moment may be passed over (on PostgreSQL a claimer that waited on a row lock would give up
 * here, and a preference must not make one skip unclaimed work).
 */
async function expectFairClaims(preferences: string[][]) {
  const clients: Db[] = preferences.map(() => createDb(store.url));
  const turnedAwayWith: number[] = [];
  try {
    const claims = await Promise.all(
      clients.map(async (db, n) => {
        const mine: string[] = [];
        for (;;) {
          const task = await claimNextTask(db, {
            workerId: `client-${n}`,
            leaseMs: 60_000,
            preferWeights: preferences[n],
          });
          if (!task) {
            turnedAwayWith.push(await db.task.count({ where: { status: "queued" } }));
            return mine;
          }
          mine.push(task.id);
        }
      }),
    );
    expectEachTaskOnce(claims);
    expect(Math.max(...turnedAwayWith)).toBeLessThan(clients.length);
    const rows = await store.db.task.findMany({ select: { attempts: true, status: true } });
    expect(rows.every((r) => r.attempts === 1 && r.status === "running")).toBe(true);
  } finally {
    await Promise.all(clients.map((db) => db.$disconnect()));
  }
}

describe.each(PROVIDERS)("on %s", (provider) => {
  beforeEach(async () => {
    store = await createTestDatabase({ provider });
    fx = await createTestFixtures(store.db, { images: 2 });
    for (let i = 0; i < TASKS; i++) {
      await createTask(store.db, {
        teamId: fx.teamId,
        createdById: fx.userId,
        weightId: fx.weightId,
        weightSha256: fx.weightSha256,
        taskKind: "super_resolution",
        params: { i },
        paramSignature: `sig-${i}`,
        imageIds: fx.imageIds,
      });
    }
  });
  afterEach(async () => {
    await store.cleanup();
  });

  describe("concurrent claimers", () => {
    it("several clients on one store never get the same task", async () => {
      await expectFairClaims([[], [], [], []]);
    });

    it("several clients preferring different weights never get the same task", async () => {
      // Three weights in turn, so every claimer's preference reorders the queue differently.
      const [A, B, C] = ["a", "b", "c"].map((c) => c.repeat(64)) as [string, string, string];
      const ids = await store.db.task.findMany({
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        select: { id: true },
      });
      for (const [i, { id }] of ids.entries()) {
        await store.db.task.update({ where: { id }, data: { weightSha256: [A, B, C][i % 3] } });
      }
      await expectFairClaims([[A], [B], [C, A], []]);
    });

    it("separate processes racing over 50 tasks run each task exactly once", async () => {
      const claims = await raceProcesses<string[]>("claim-race", [
        [store.url, "proc-a"],
        [store.url, "proc-b"],
        [store.url, "proc-c"],
      ]);
      expectEachTaskOnce(claims);
      // They really competed (not one draining the queue before the others started).
      expect(claims.filter((c) => c.length > 0).length).toBeGreaterThanOrEqual(2);
      const tasks = await store.db.task.findMany({
        select: { status: true, attempts: true, itemsDone: true },
      });
      expect(
        tasks.every((t) => t.status === "succeeded" && t.attempts === 1 && t.itemsDone === 2),
      ).toBe(true);
      const results = await store.db.taskItem.count({
        where: { status: "succeeded", resultPath: { not: null } },
      });
      expect(results).toBe(TASKS * 2);
    }, 120_000);
  });
});
