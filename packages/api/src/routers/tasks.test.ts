import { parameterSignature } from "@studio/core/signature";
import {
  claimNextTask,
  completeItem,
  completeTask,
  failItem,
  startItem,
  updateProgress,
} from "@studio/db/queue";
import { beforeAll, describe, expect, it } from "vitest";
import { callerFor } from "../test-caller";
import { makeImage, makeTeam, makeUser, makeWeight, type TestUser } from "../test-helpers";
import { useTestStore } from "../test-hooks";

const t = useTestStore();
let alice: TestUser;
let bob: TestUser;
let a: Awaited<ReturnType<typeof callerFor>>;
let b: Awaited<ReturnType<typeof callerFor>>;
let teamId: string;
let weight: { id: string; sha256: string };
let images: string[];

beforeAll(async () => {
  alice = await makeUser(t.db);
  bob = await makeUser(t.db);
  a = await callerFor(t.db, alice.id);
  b = await callerFor(t.db, bob.id);
  teamId = alice.personalTeamId;
  weight = await makeWeight(t.db, { teamId });
  images = [];
  for (let i = 0; i < 3; i++)
    images.push((await makeImage(t.db, teamId, alice.id, `img${i}.png`)).id);
});

describe("tasks", () => {
  it("creates a task with validated params and the core parameter signature", async () => {
    const created = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target: { type: "image", imageId: images[0] as string },
      params: { tile: 128 },
    });
    expect(created.created).toBe(true);
    const task = await a.tasks.get({ teamId, taskId: created.id });
    expect(task).toMatchObject({
      status: "queued",
      itemCount: 1,
      taskKind: "super_resolution",
      weightSha256: weight.sha256,
    });
    expect(task.params).toMatchObject({ tile: 128, tuning: { preset: "gentle" } });
    expect(task.paramSignature).toBe(
      parameterSignature({
        kind: "super_resolution",
        params: { tile: 128 },
        weightSha256: weight.sha256,
      }),
    );
    expect(task.items[0]).toMatchObject({
      status: "queued",
      hasResult: false,
      image: { id: images[0] },
    });
  });

  it("returns the same task for the same idempotency key", async () => {
    const input = {
      teamId,
      weightId: weight.id,
      target: { type: "images" as const, imageIds: images },
      params: {},
      idempotencyKey: "click-1",
    };
    const first = await a.tasks.create(input);
    const again = await a.tasks.create(input);
    expect(again).toEqual({ id: first.id, created: false });
    expect(await t.db.task.count({ where: { idempotencyKey: "click-1" } })).toBe(1);
  });

  it("refuses bad params, unready weights, foreign images and a changed signature", async () => {
    const target = { type: "image" as const, imageId: images[0] as string };
    await expect(
      a.tasks.create({ teamId, weightId: weight.id, target, params: { tile: 5 } }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    const pending = await makeWeight(t.db, { teamId, status: "validating" });
    await expect(
      a.tasks.create({ teamId, weightId: pending.id, target, params: {} }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const bobImage = await makeImage(t.db, bob.personalTeamId, bob.id);
    await expect(
      a.tasks.create({
        teamId,
        weightId: weight.id,
        target: { type: "image", imageId: bobImage.id },
        params: {},
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const bobWeight = await makeWeight(t.db, { teamId: bob.personalTeamId });
    await expect(
      a.tasks.create({ teamId, weightId: bobWeight.id, target, params: {} }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      a.tasks.create({
        teamId,
        weightId: weight.id,
        target,
        params: {},
        expectSignature: "0".repeat(64),
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("runs official weights for every team", async () => {
    const official = await makeWeight(t.db, { teamId: null, taskKind: "segmentation" });
    const res = await a.tasks.create({
      teamId,
      weightId: official.id,
      target: { type: "image", imageId: images[1] as string },
      params: { threshold: 0.3 },
    });
    expect((await a.tasks.get({ teamId, taskId: res.id })).params).toMatchObject({
      threshold: 0.3,
    });
  });

  it("creates a task for a whole dataset", async () => {
    const ds = await a.datasets.create({ teamId, name: "set" });
    await a.datasets.addImages({ teamId, datasetId: ds.id, imageIds: images });
    const res = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target: { type: "dataset", datasetId: ds.id },
      params: {},
    });
    const task = await a.tasks.get({ teamId, taskId: res.id });
    expect(task).toMatchObject({ itemCount: 3, datasetId: ds.id });
  });

  it("names a task from its kind and images unless given a name; any member renames it", async () => {
    const target = { type: "images" as const, imageIds: images };
    const byDefault = await a.tasks.create({ teamId, weightId: weight.id, target, params: {} });
    const named = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target,
      params: {},
      name: "  Night shots  ",
    });
    const inChinese = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target: { type: "image", imageId: images[1] as string },
      params: {},
      locale: "zh-CN",
    });
    const names = new Map(
      (await a.tasks.list({ teamId, limit: 100 })).items.map((i) => [i.id, i.name]),
    );
    expect(names.get(byDefault.id)).toBe("Super-resolution · img0.png (+2 more)");
    expect(names.get(named.id)).toBe("Night shots");
    expect((await a.tasks.get({ teamId, taskId: inChinese.id })).name).toBe("超分辨率 · img1.png");
    for (const name of ["   ", "x".repeat(121)]) {
      await expect(
        a.tasks.create({ teamId, weightId: weight.id, target, params: {}, name }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(a.tasks.rename({ teamId, taskId: named.id, name })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    }

    // A member who is not admin renames a task someone else created; other teams cannot.
    const shared = await makeTeam(t.db, [
      { userId: alice.id, role: "ADMIN" },
      { userId: bob.id, role: "MEMBER" },
    ]);
    const sharedWeight = await makeWeight(t.db, { teamId: shared.id });
    const image = await makeImage(t.db, shared.id, alice.id, "shared.png");
    const task = await a.tasks.create({
      teamId: shared.id,
      weightId: sharedWeight.id,
      target: { type: "image", imageId: image.id },
      params: {},
    });
    expect(await b.tasks.rename({ teamId: shared.id, taskId: task.id, name: " Bob's " })).toEqual({
      id: task.id,
      name: "Bob's",
    });
    expect((await a.tasks.get({ teamId: shared.id, taskId: task.id })).name).toBe("Bob's");
    await expect(b.tasks.rename({ teamId, taskId: named.id, name: "x" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      a.tasks.rename({ teamId, taskId: task.id, name: "wrong team" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("lists with filters and cursor paging, and hides other teams' tasks", async () => {
    const page1 = await a.tasks.list({ teamId, limit: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await a.tasks.list({ teamId, limit: 2, cursor: page1.nextCursor });
    const all = await a.tasks.list({ teamId, limit: 100 });
    expect([...page1.items, ...page2.items].map((x) => x.id)).toEqual(
      all.items.slice(0, 4).map((x) => x.id),
    );
    expect(
      (await a.tasks.list({ teamId, taskKind: "segmentation", limit: 100 })).items,
    ).toHaveLength(1);
    expect((await a.tasks.list({ teamId, status: ["running"], limit: 100 })).items).toHaveLength(0);
    expect(
      (await a.tasks.list({ teamId, from: new Date(Date.now() + 60_000), limit: 100 })).items,
    ).toHaveLength(0);
    const some = all.items[0]?.id as string;
    await expect(b.tasks.get({ teamId: bob.personalTeamId, taskId: some })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      b.tasks.cancel({ teamId: bob.personalTeamId, taskId: some }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      b.tasks.delete({ teamId: bob.personalTeamId, taskId: some }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      b.tasks.report({ teamId: bob.personalTeamId, taskId: some }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("cancels a queued task, retries failed items, reports, and deletes", async () => {
    const queued = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target: { type: "images", imageIds: images },
      params: {},
    });
    expect(await a.tasks.cancel({ teamId, taskId: queued.id })).toEqual({ result: "canceled" });
    expect((await a.tasks.get({ teamId, taskId: queued.id })).status).toBe("canceled");
    await a.tasks.delete({ teamId, taskId: queued.id });

    // Drain everything else so the next claim gets our task.
    await t.db.task.updateMany({ where: { status: "queued" }, data: { status: "canceled" } });
    const run = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target: { type: "images", imageIds: images.slice(0, 2) },
      params: {},
    });
    const claimed = await claimNextTask(t.db, { workerId: "w1", leaseMs: 60_000 });
    expect(claimed?.id).toBe(run.id);
    await expect(a.tasks.delete({ teamId, taskId: run.id })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const [first, second] = await t.db.taskItem.findMany({
      where: { taskId: run.id },
      orderBy: { position: "asc" },
    });
    await completeItem(t.db, {
      taskId: run.id,
      itemId: first?.id as string,
      workerId: "w1",
      result: {
        path: `results/${run.id}/0.png`,
        sha256: "f".repeat(64),
        bytes: 10,
        device: "cpu",
        timings: { run: 12 },
        paramSignature: claimed?.paramSignature ?? "",
      },
    });
    await failItem(t.db, {
      taskId: run.id,
      itemId: second?.id as string,
      workerId: "w1",
      error: "out of memory",
    });
    expect(await completeTask(t.db, { taskId: run.id, workerId: "w1" })).toEqual({
      status: "partially_failed",
    });

    const report = await a.tasks.report({ teamId, taskId: run.id });
    expect(report.summary).toMatchObject({ items: 2, succeeded: 1, failed: 1, totalRunMs: 12 });
    expect(report.task.weight?.sha256).toBe(weight.sha256);
    expect(report.items[1]).toMatchObject({ status: "failed", error: "out of memory" });

    expect(await a.tasks.retryFailed({ teamId, taskId: run.id })).toEqual({ requeued: 1 });
    const after = await a.tasks.get({ teamId, taskId: run.id });
    expect(after).toMatchObject({ status: "queued", itemsDone: 1, itemsFailed: 0 });
    expect(after.items.map((i) => i.status)).toEqual(["succeeded", "queued"]);
    await expect(a.tasks.retryFailed({ teamId, taskId: run.id })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });
});

describe("tasks.getIfChanged", () => {
  it("answers unchanged until anything tasks.get shows changes, for the caller's team only", async () => {
    const task = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target: { type: "images", imageIds: images.slice(0, 2) },
      params: {},
    });
    const taskId = task.id;
    const first = await a.tasks.getIfChanged({ teamId, taskId });
    if (first.unchanged) throw new Error("a poll without ifChanged gets the whole task");
    const { unchanged, ...asGet } = first;
    expect(asGet).toEqual(await a.tasks.get({ teamId, taskId }));

    let version = first.version;
    /** Polls with the last version; a changed answer must be whole and current. */
    const poll = async () => {
      const answer = await a.tasks.getIfChanged({ teamId, taskId, ifChanged: version });
      if (!answer.unchanged) {
        const { unchanged: _, ...whole } = answer;
        expect(whole).toEqual(await a.tasks.get({ teamId, taskId }));
      }
      version = answer.version;
      return answer;
    };
    expect(await poll()).toEqual({ unchanged: true, version });
    expect(await poll()).toEqual({ unchanged: true, version });

    // Another page of items is another answer.
    expect(
      (await a.tasks.getIfChanged({ teamId, taskId, itemsLimit: 1, ifChanged: version })).unchanged,
    ).toBe(false);

    await t.db.task.updateMany({
      where: { status: "queued", id: { not: taskId } },
      data: { status: "canceled" },
    });
    expect((await claimNextTask(t.db, { workerId: "w-poll", leaseMs: 60_000 }))?.id).toBe(taskId);
    expect((await poll()).unchanged).toBe(false);
    expect(await poll()).toMatchObject({ unchanged: true });

    const [item] = await t.db.taskItem.findMany({
      where: { taskId },
      orderBy: { position: "asc" },
    });
    const itemId = item?.id as string;
    // An item's status written alone, without touching the task row.
    expect(await startItem(t.db, { taskId, itemId, workerId: "w-poll" })).toBe(true);
    const started = await poll();
    expect(started.unchanged || started.items[0]?.status).toBe("running");

    expect(
      await updateProgress(t.db, {
        taskId,
        workerId: "w-poll",
        progress: 0.25,
        itemId,
        itemProgress: 0.5,
      }),
    ).toBe(true);
    const progressed = await poll();
    expect(progressed.unchanged || progressed.items[0]?.progress).toBe(0.5);
    expect(await poll()).toMatchObject({ unchanged: true });

    await a.tasks.rename({ teamId, taskId, name: "Renamed while polling" });
    const renamed = await poll();
    expect(renamed.unchanged || renamed.name).toBe("Renamed while polling");

    // Rows the answer joins in: the creator's name and the weight's.
    await t.db.user.update({ where: { id: alice.id }, data: { name: "Alice Renamed" } });
    const creator = await poll();
    expect(creator.unchanged || creator.createdBy.name).toBe("Alice Renamed");
    await t.db.weight.update({ where: { id: weight.id }, data: { name: "weight renamed" } });
    const weightRenamed = await poll();
    expect(weightRenamed.unchanged || weightRenamed.weight?.name).toBe("weight renamed");
    expect(await poll()).toMatchObject({ unchanged: true });

    // Another team's member gets NOT_FOUND, even holding the current version, whether asking
    // through their own team or through one they do not belong to.
    await expect(
      b.tasks.getIfChanged({ teamId: bob.personalTeamId, taskId, ifChanged: version }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      b.tasks.getIfChanged({ teamId, taskId, ifChanged: version }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
