import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { callerFor, queueTask } from "../test-caller";
import { makeImage, makeUser, makeWeight, type TestUser } from "../test-helpers";
import { useTestStore } from "../test-hooks";

const t = useTestStore();
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  alice = await makeUser(t.db);
  bob = await makeUser(t.db);
});

async function imageWithFile(teamId: string, userId: string, name: string) {
  const image = await makeImage(t.db, teamId, userId, name);
  const row = await t.db.image.findUniqueOrThrow({
    where: { id: image.id },
    select: { storagePath: true },
  });
  const file = path.join(t.dataDir, row.storagePath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, "x");
  return { id: image.id, file };
}

describe("images and datasets", () => {
  it("pages images with search and hides other teams", async () => {
    const teamId = alice.personalTeamId;
    for (const name of ["cat.png", "dog.png", "cat2.png"])
      await makeImage(t.db, teamId, alice.id, name);
    const a = await callerFor(t.db, alice.id);
    const first = await a.images.list({ teamId, limit: 2 });
    const second = await a.images.list({ teamId, limit: 2, cursor: first.nextCursor });
    expect(first.items).toHaveLength(2);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect((await a.images.list({ teamId, limit: 10, search: "cat" })).items).toHaveLength(2);
    const b = await callerFor(t.db, bob.id);
    await expect(
      b.images.get({ teamId: bob.personalTeamId, imageId: first.items[0]?.id as string }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      b.images.delete({ teamId: bob.personalTeamId, imageIds: [first.items[0]?.id as string] }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("creates, lists, reports statistics and deletes a dataset with its files and results", async () => {
    const teamId = alice.personalTeamId;
    const a = await callerFor(t.db, alice.id);
    const ds = await a.datasets.create({ teamId, name: "Retina", description: "fundus" });
    const imgs = [
      await imageWithFile(teamId, alice.id, "a.png"),
      await imageWithFile(teamId, alice.id, "b.png"),
      await imageWithFile(teamId, alice.id, "c.png"),
    ];
    await a.datasets.addImages({ teamId, datasetId: ds.id, imageIds: imgs.map((i) => i.id) });
    await t.db.datasetImage.updateMany({
      where: { imageId: { in: [imgs[0]?.id, imgs[1]?.id] as string[] } },
      data: { label: "healthy" },
    });
    await t.db.datasetImage.updateMany({
      where: { imageId: imgs[2]?.id },
      data: { label: "sick" },
    });

    expect((await a.datasets.list({ teamId, limit: 10, search: "Ret" })).items[0]).toMatchObject({
      id: ds.id,
      imageCount: 3,
    });
    const stats = await a.datasets.stats({ teamId, datasetId: ds.id });
    expect(stats).toMatchObject({
      imageCount: 3,
      totalBytes: 300,
      formats: { png: 3 },
      labels: { healthy: 2, sick: 1 },
      classImbalance: 2,
      width: { min: 64, max: 64, mean: 64 },
    });
    expect((await a.images.list({ teamId, limit: 10, datasetId: ds.id })).items).toHaveLength(3);
    const gallery1 = await a.datasets.images({ teamId, datasetId: ds.id, limit: 2 });
    const gallery2 = await a.datasets.images({
      teamId,
      datasetId: ds.id,
      limit: 2,
      cursor: gallery1.nextCursor,
    });
    expect([...gallery1.items, ...gallery2.items].map((i) => [i.relativePath, i.label])).toEqual([
      ["a.png", "healthy"],
      ["b.png", "healthy"],
      ["c.png", "sick"],
    ]);
    expect(
      (await a.datasets.images({ teamId, datasetId: ds.id, limit: 10, label: "sick" })).items,
    ).toHaveLength(1);

    // A finished task with a result file on the first image.
    const { task } = await queueTask(t.db, a, teamId, { type: "dataset", datasetId: ds.id });
    await expect(a.datasets.delete({ teamId, datasetId: ds.id })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await a.tasks.cancel({ teamId, taskId: task.id });
    const resultRel = `results/${task.id}/0.png`;
    mkdirSync(path.join(t.dataDir, "results", task.id), { recursive: true });
    writeFileSync(path.join(t.dataDir, resultRel), "r");
    await t.db.taskItem.updateMany({
      where: { taskId: task.id, imageId: imgs[0]?.id },
      data: { resultPath: resultRel },
    });

    await expect(
      (await callerFor(t.db, bob.id)).datasets.delete({
        teamId: bob.personalTeamId,
        datasetId: ds.id,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await a.datasets.delete({ teamId, datasetId: ds.id })).toEqual({
      deleted: true,
      imagesDeleted: 3,
    });
    for (const img of imgs) expect(existsSync(img.file)).toBe(false);
    expect(existsSync(path.join(t.dataDir, resultRel))).toBe(false);
    expect(await t.db.image.count({ where: { id: { in: imgs.map((i) => i.id) } } })).toBe(0);
    expect(await t.db.taskItem.count({ where: { taskId: task.id } })).toBe(0);
  });

  it("refuses to delete an image a queued task needs", async () => {
    const teamId = alice.personalTeamId;
    const a = await callerFor(t.db, alice.id);
    const img = await imageWithFile(teamId, alice.id, "busy.png");
    const w = await makeWeight(t.db, { teamId });
    await a.tasks.create({
      teamId,
      weightId: w.id,
      target: { type: "image", imageId: img.id },
      params: {},
    });
    await expect(a.images.delete({ teamId, imageIds: [img.id] })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(existsSync(img.file)).toBe(true);
  });
});
