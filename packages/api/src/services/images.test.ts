// The image check of uploads (a full decode) runs in the inference service: its limits are
// tested beside its route (apps/inference/src/routes/images.test.ts), the uploads that use it in
// test/integration/image-uploads.test.ts.
import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useTempDataDir } from "../http/files/test-context";
import { makeImage, makeTask, makeUser, makeWeight, testDb } from "../test-helpers";
import { deleteImages } from "./images";

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
