// The image check of uploads (a full decode) runs in the inference service: its limits are
// tested beside its route (apps/inference/src/routes/images.test.ts), the uploads that use it in
// test/integration/image-uploads.test.ts.
import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useTempDataDir } from "../http/files/test-context";
import { callerFor } from "../test-caller";
import { makeImage, makeTask, makeUser, makeWeight, testDb } from "../test-helpers";
import { deleteImages, listImages } from "./images";

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
beforeAll(async () => {
  data = useTempDataDir();
  t = await testDb();
});
afterAll(async () => {
  await t.cleanup();
  data.cleanup();
});

type ListInput = {
  search?: string;
  datasetId?: string;
  from?: Date;
  to?: Date;
  limit?: number;
};

/** The names of every image listImages finds, page after page, in its order (100 a page unless told). */
async function listAllNames(team: string, input: ListInput): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await listImages(t.db, team, { limit: input.limit ?? 100, ...input, cursor });
    found.push(...page.items.map((i) => i.originalName));
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

it("deletes atomically: a task created at the same moment never loses its items", async () => {
  const user = await makeUser(t.db);
  const weight = await makeWeight(t.db, { teamId: user.personalTeamId });
  for (let i = 0; i < 5; i++) {
    const image = await makeImage(t.db, user.personalTeamId, user.id);
    // With a separate check and delete the task was created in between, then the delete
    // cascaded its item away, leaving a queued task with no items (every round, 5 of 5).
    const [deleted, created] = await Promise.allSettled([
      deleteImages(t.db, user.personalTeamId, [image.id]),
      makeTask(t.db, user, weight, [image.id]),
    ]);
    if (created.status === "fulfilled") {
      expect(await t.db.taskItem.count({ where: { taskId: created.value.id } })).toBe(1);
      expect(deleted.status).toBe("rejected");
    } else {
      expect(deleted.status).toBe("fulfilled");
    }
  }
});

it("refuses to delete an image an unfinished task uses, and unknown images, changing nothing", async () => {
  const user = await makeUser(t.db);
  const weight = await makeWeight(t.db, { teamId: user.personalTeamId });
  const busy = await makeImage(t.db, user.personalTeamId, user.id);
  const free = await makeImage(t.db, user.personalTeamId, user.id);
  await makeTask(t.db, user, weight, [busy.id]);
  await expect(deleteImages(t.db, user.personalTeamId, [free.id, busy.id])).rejects.toMatchObject({
    code: "conflict",
  });
  await expect(deleteImages(t.db, user.personalTeamId, [free.id, "missing"])).rejects.toMatchObject(
    { code: "not_found" },
  );
  expect(await t.db.image.count({ where: { id: { in: [free.id, busy.id] } } })).toBe(2);
  expect(await deleteImages(t.db, user.personalTeamId, [free.id])).toEqual({ deleted: 1 });
});

it("searches names whatever the case, narrows to a dataset and pages with the cursor", async () => {
  const user = await makeUser(t.db);
  const team = user.personalTeamId;
  const names = ["Holiday-1.PNG", "holiday_2.png", "work.png", "HOLIDAY%3.png", "holidayX3.png"];
  const ids: string[] = [];
  for (const name of names) ids.push((await makeImage(t.db, team, user.id, name)).id);
  const other = await makeUser(t.db);
  await makeImage(t.db, other.personalTeamId, other.id, "holiday-other.png");
  const dataset = await t.db.dataset.create({
    data: { teamId: team, createdById: user.id, name: "d" },
    select: { id: true },
  });
  await t.db.datasetImage.createMany({
    data: [0, 2].map((i) => ({
      datasetId: dataset.id,
      imageId: ids[i] as string,
      relativePath: `${i}`,
    })),
  });
  const search = async (input: ListInput) => (await listAllNames(team, input)).sort();
  // Another team's image never shows; case does not matter on either store.
  expect(await search({ search: "HoLiDaY", limit: 2 })).toEqual(
    ["HOLIDAY%3.png", "Holiday-1.PNG", "holidayX3.png", "holiday_2.png"].sort(),
  );
  // % and _ are letters, not wildcards.
  expect(await search({ search: "y%3" })).toEqual(["HOLIDAY%3.png"]);
  expect(await search({ search: "y_2" })).toEqual(["holiday_2.png"]);
  expect(await search({ datasetId: dataset.id })).toEqual(["Holiday-1.PNG", "work.png"]);
  expect(await search({ datasetId: dataset.id, search: "WORK" })).toEqual(["work.png"]);
});

it("narrows to an upload time range (from inclusive, to exclusive), with and without a name search", async () => {
  const user = await makeUser(t.db);
  const team = user.personalTeamId;
  const day = (n: number) => new Date(Date.UTC(2026, 10, n, 12));
  // Uploaded on the 1st, 5th, 9th and 10th (two), each at noon UTC.
  const uploads: Array<[string, Date]> = [
    ["old-scan.png", day(1)],
    ["scan-a.png", day(5)],
    ["photo.png", day(9)],
    ["scan-b.png", day(10)],
    ["scan-c.png", day(10)],
  ];
  for (const [name, createdAt] of uploads) {
    const { id } = await makeImage(t.db, team, user.id, name);
    await t.db.image.update({ where: { id }, data: { createdAt } });
  }
  const list = (input: ListInput) => listAllNames(team, input);
  // Newest first; a page of one at a time still finds every match.
  expect(await list({ from: day(5), limit: 1 })).toEqual([
    "scan-c.png",
    "scan-b.png",
    "photo.png",
    "scan-a.png",
  ]);
  // `to` is exclusive: noon of the 9th is not before noon of the 9th.
  expect(await list({ from: day(2), to: day(9) })).toEqual(["scan-a.png"]);
  expect(await list({ to: day(5) })).toEqual(["old-scan.png"]);
  expect(await list({ search: "SCAN", from: day(5), limit: 1 })).toEqual([
    "scan-c.png",
    "scan-b.png",
    "scan-a.png",
  ]);
  expect(await list({ search: "scan", from: day(6), to: day(10) })).toEqual([]);
  expect(await list({ search: "scan", to: day(6) })).toEqual(["scan-a.png", "old-scan.png"]);

  // Through the procedure: an empty range is refused in words, naming the field.
  const caller = await callerFor(t.db, user.id);
  expect(
    (await caller.images.list({ teamId: team, from: day(9), to: day(11) })).items.map(
      (i) => i.originalName,
    ),
  ).toEqual(["scan-c.png", "scan-b.png", "photo.png"]);
  const refused = await caller.images.list({ teamId: team, from: day(10), to: day(9) }).then(
    () => null,
    (error: unknown) => error,
  );
  expect(refused).toMatchObject({ code: "BAD_REQUEST" });
  expect(String((refused as Error).message)).toMatch(/end must be later than its start/);
});
