// datasets.removeImages: one image out of a dataset, the library, other datasets and results kept.
import { expect, it } from "vitest";
import { callerFor, queueTask } from "../test-caller";
import { makeAdminAndMember, makeImage, makeUser } from "../test-helpers";
import { useTestDb } from "../test-hooks";

const t = useTestDb();

it("a team member takes one image out of a dataset: statistics follow, the image, other datasets and results stay", async () => {
  const { admin, member, teamId } = await makeAdminAndMember(t.db);
  const a = await callerFor(t.db, admin.id);
  const m = await callerFor(t.db, member.id);
  const ds = await a.datasets.create({ teamId, name: "Retina" });
  const other = await a.datasets.create({ teamId, name: "Also holds b" });
  const ids: string[] = [];
  for (const name of ["a.png", "b.png", "c.png"]) {
    ids.push((await makeImage(t.db, teamId, admin.id, name)).id);
  }
  const [idA, idB, idC] = ids as [string, string, string];
  await a.datasets.addImages({ teamId, datasetId: ds.id, imageIds: ids });
  await a.datasets.addImages({ teamId, datasetId: other.id, imageIds: [idB] });
  await t.db.datasetImage.updateMany({
    where: { datasetId: ds.id, imageId: { in: [idA, idB] } },
    data: { label: "healthy" },
  });
  await t.db.datasetImage.updateMany({
    where: { datasetId: ds.id, imageId: idC },
    data: { label: "sick" },
  });
  // A finished task ran on the dataset; its result on b stays after b leaves the dataset.
  const { task } = await queueTask(t.db, a, teamId, { type: "dataset", datasetId: ds.id });
  await a.tasks.cancel({ teamId, taskId: task.id });

  // Another team's member cannot see the dataset; nothing changes.
  const outsider = await callerFor(t.db, (await makeUser(t.db)).id);
  await expect(
    outsider.datasets.removeImages({ teamId, datasetId: ds.id, imageIds: [idB] }),
  ).rejects.toMatchObject({ code: "NOT_FOUND" });
  // An id that is not in the dataset refuses the whole call: a is not removed either.
  const stray = await makeImage(t.db, teamId, admin.id, "stray.png");
  await expect(
    m.datasets.removeImages({ teamId, datasetId: ds.id, imageIds: [idA, stray.id] }),
  ).rejects.toMatchObject({ code: "NOT_FOUND", message: "Image not found in this dataset." });
  expect((await a.datasets.stats({ teamId, datasetId: ds.id })).imageCount).toBe(3);

  // A member (not only admins) removes b.
  expect(await m.datasets.removeImages({ teamId, datasetId: ds.id, imageIds: [idB] })).toEqual({
    removed: 1,
    imageCount: 2,
  });
  const stats = await a.datasets.stats({ teamId, datasetId: ds.id });
  expect(stats).toMatchObject({ imageCount: 2, totalBytes: 200, labels: { healthy: 1, sick: 1 } });
  expect((await a.datasets.get({ teamId, datasetId: ds.id })).imageCount).toBe(2);
  const gallery = await a.datasets.images({ teamId, datasetId: ds.id, limit: 10 });
  expect(gallery.items.map((i) => i.image.originalName)).toEqual(["a.png", "c.png"]);
  // Still in the library, still in the other dataset, its task item kept.
  expect((await a.images.get({ teamId, imageId: idB })).originalName).toBe("b.png");
  expect(
    (await a.images.list({ teamId, datasetId: other.id, limit: 10 })).items.map((i) => i.id),
  ).toEqual([idB]);
  expect(await t.db.taskItem.count({ where: { taskId: task.id, imageId: idB } })).toBe(1);

  // Removing it again: it is no longer there.
  await expect(
    a.datasets.removeImages({ teamId, datasetId: ds.id, imageIds: [idB] }),
  ).rejects.toMatchObject({ code: "NOT_FOUND" });
});
