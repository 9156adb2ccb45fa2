import { createDb } from "@studio/db/client";
import { claimNextTask, completeItem, createTask, failItem, startItem } from "@studio/db/queue";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../db";
import { makeImage, makeUser, makeWeight, type TestUser } from "../test-helpers";
import { useTestDb } from "../test-hooks";
import { parseJson } from "./json";
import {
  getTask,
  getTaskIfChanged,
  itemSelect,
  presentItem,
  taskAnswerVersion,
  taskStatus,
  taskSummarySelect,
} from "./tasks";

/** getTask as nested Prisma selects: the reference the SQL version must match exactly. */
async function getTaskWithPrisma(
  db: Db,
  teamId: string,
  taskId: string,
  page: { itemsCursor?: number | null; itemsLimit: number },
) {
  const task = await db.task.findFirst({
    where: { id: taskId, teamId },
    select: { ...taskSummarySelect, params: true, scores: true },
  });
  if (!task) return null;
  const { scores, ...summary } = task;
  const items = await db.taskItem.findMany({
    where: { taskId, position: { gte: page.itemsCursor ?? 0 } },
    orderBy: { position: "asc" },
    take: page.itemsLimit + 1,
    select: itemSelect,
  });
  const more = items.length > page.itemsLimit;
  return {
    ...summary,
    params: parseJson(task.params, {}),
    items: items.slice(0, page.itemsLimit).map(presentItem),
    nextItemsCursor: more ? (items[page.itemsLimit]?.position ?? null) : null,
    scores: parseJson(scores, null),
  };
}

/** getTask's answer without its `version` token, which the reference does not make. */
async function getTaskContent(...args: Parameters<typeof getTask>) {
  const { version: _version, ...content } = await getTask(...args);
  return content;
}

const t = useTestDb();
let alice: TestUser;
let teamId: string;
let runningId: string;
let orphanId: string;

beforeAll(async () => {
  alice = await makeUser(t.db);
  teamId = alice.personalTeamId;
  const weight = await makeWeight(t.db, { teamId });
  const spare = await makeWeight(t.db, { teamId, family: "spare" });
  const imageIds: string[] = [];
  for (let i = 0; i < 5; i++)
    imageIds.push((await makeImage(t.db, teamId, alice.id, `img${i}.png`)).id);
  const base = {
    teamId,
    createdById: alice.id,
    weightSha256: weight.sha256,
    taskKind: "super_resolution",
    params: { tile: 128, nested: { a: [1, 2] } },
    paramSignature: "sig",
  };
  // A running task with a succeeded item (meta, timings), a failed one and a started one.
  runningId = (
    await createTask(t.db, { ...base, weightId: weight.id, imageIds, idempotencyKey: "k1" })
  ).id;
  const claimed = await claimNextTask(t.db, { workerId: "w", leaseMs: 60_000 });
  expect(claimed?.id).toBe(runningId);
  const items = await t.db.taskItem.findMany({
    where: { taskId: runningId },
    orderBy: { position: "asc" },
    select: { id: true },
  });
  const [first, second, third] = items.map((i) => i.id) as [string, string, string];
  await startItem(t.db, { taskId: runningId, itemId: first, workerId: "w" });
  await completeItem(t.db, {
    taskId: runningId,
    itemId: first,
    workerId: "w",
    result: {
      path: `results/${runningId}/0.png`,
      sha256: "a".repeat(64),
      bytes: 1234,
      meta: { labels: ["cat"], score: 0.5 },
      device: "cpu",
      timings: { run: 12.5, decode: 1 },
      paramSignature: "sig",
    },
  });
  await startItem(t.db, { taskId: runningId, itemId: second, workerId: "w" });
  await failItem(t.db, { taskId: runningId, itemId: second, workerId: "w", error: "bad pixels" });
  await startItem(t.db, { taskId: runningId, itemId: third, workerId: "w" });
  // A task whose weight was deleted afterwards (weightId set null).
  orphanId = (
    await createTask(t.db, { ...base, weightId: spare.id, imageIds: imageIds.slice(0, 1) })
  ).id;
  await t.db.weight.delete({ where: { id: spare.id } });
});

describe("getTask", () => {
  it("returns exactly what the nested Prisma selects return", async () => {
    for (const page of [
      { itemsLimit: 200 },
      { itemsLimit: 2 },
      { itemsCursor: 2, itemsLimit: 2 },
      { itemsCursor: 4, itemsLimit: 2 },
    ]) {
      const expected = await getTaskWithPrisma(t.db, teamId, runningId, page);
      expect(await getTaskContent(t.db, teamId, runningId, page)).toStrictEqual(expected);
    }
    const got = await getTask(t.db, teamId, runningId);
    expect(got.cancelRequested).toBe(false);
    expect(got.startedAt).toBeInstanceOf(Date);
    expect(got.items[0]).toMatchObject({
      hasResult: true,
      resultBytes: 1234,
      timings: { run: 12.5, decode: 1 },
      resultMeta: { labels: ["cat"], score: 0.5 },
    });
    expect(got.items[1]?.error).toBe("bad pixels");
    expect(got.items[2]?.startedAt).toBeInstanceOf(Date);
  });

  it("shows a task whose weight was deleted with weight null", async () => {
    const got = await getTask(t.db, teamId, orphanId);
    expect(got.weight).toBeNull();
    expect(await getTaskContent(t.db, teamId, orphanId)).toStrictEqual(
      await getTaskWithPrisma(t.db, teamId, orphanId, { itemsLimit: 200 }),
    );
  });

  it("answers not_found for another team's task and for an unknown id", async () => {
    const bob = await makeUser(t.db);
    await expect(getTask(t.db, bob.personalTeamId, runningId)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(getTask(t.db, teamId, "nope")).rejects.toMatchObject({ code: "not_found" });
    await expect(
      getTaskIfChanged(t.db, bob.personalTeamId, runningId, { itemsLimit: 200, ifChanged: "0.x" }),
    ).rejects.toMatchObject({ code: "not_found" });
  });

  it("keeps its version until the task or one of its items is written (database triggers)", async () => {
    const page = { itemsLimit: 200 };
    const { version } = await getTask(t.db, teamId, runningId, page);
    expect(await taskAnswerVersion(t.db, teamId, runningId, page)).toBe(version);
    expect(
      await getTaskIfChanged(t.db, teamId, runningId, { ...page, ifChanged: version }),
    ).toEqual({ unchanged: true, version });
    expect(await taskAnswerVersion(t.db, teamId, runningId, { itemsLimit: 2 })).not.toBe(version);

    const item = await t.db.taskItem.findFirstOrThrow({
      where: { taskId: runningId },
      orderBy: { position: "desc" },
    });
    await t.db.taskItem.update({ where: { id: item.id }, data: { progress: 0.75 } });
    const afterItem = await taskAnswerVersion(t.db, teamId, runningId, page);
    expect(afterItem).not.toBe(version);
    const changed = await getTaskIfChanged(t.db, teamId, runningId, {
      ...page,
      ifChanged: version,
    });
    expect(changed).toMatchObject({ unchanged: false, version: afterItem });

    await t.db.task.update({ where: { id: runningId }, data: { error: "a note" } });
    const afterTask = await taskAnswerVersion(t.db, teamId, runningId, page);
    expect(afterTask).not.toBe(afterItem);

    await t.db.taskItem.delete({ where: { id: item.id } });
    expect(await taskAnswerVersion(t.db, teamId, runningId, page)).not.toBe(afterTask);
  });

  it("hands out the kept answer while its version holds; another client's write is seen at once", async () => {
    const page = { itemsLimit: 200 };
    const first = await getTask(t.db, teamId, runningId, page);
    expect(await getTask(t.db, teamId, runningId, page)).toBe(first);
    expect(Object.isFrozen(first.items[0]?.image)).toBe(true);
    // Another page is another answer.
    expect(await getTask(t.db, teamId, runningId, { itemsLimit: 2 })).not.toBe(first);

    // Another connection to the store, as another web process or the worker has.
    const elsewhere = createDb(t.url);
    try {
      const item = first.items[0];
      if (!item) throw new Error("the task has no items");
      await elsewhere.taskItem.update({ where: { id: item.id }, data: { progress: 0.5 } });
      const next = await getTask(t.db, teamId, runningId, page);
      expect(next).not.toBe(first);
      expect(next.version).not.toBe(first.version);
      expect(next.items[0]?.progress).toBe(0.5);
      expect(await getTaskContent(t.db, teamId, runningId, page)).toStrictEqual(
        await getTaskWithPrisma(t.db, teamId, runningId, page),
      );
    } finally {
      await elsewhere.$disconnect();
    }
  });
});

describe("taskStatus", () => {
  it("hands out the kept status while the task is unchanged; another client's write is seen at once", async () => {
    const first = await taskStatus(t.db, teamId, runningId);
    expect(await taskStatus(t.db, teamId, runningId)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const elsewhere = createDb(t.url);
    try {
      await elsewhere.task.update({ where: { id: runningId }, data: { progress: 0.625 } });
      const next = await taskStatus(t.db, teamId, runningId);
      expect(next).not.toBe(first);
      expect(next).toMatchObject({ id: runningId, progress: 0.625, status: first.status });
    } finally {
      await elsewhere.$disconnect();
    }
    const bob = await makeUser(t.db);
    await expect(taskStatus(t.db, bob.personalTeamId, runningId)).rejects.toMatchObject({
      code: "not_found",
    });
  });
});
