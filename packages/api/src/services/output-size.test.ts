import { beforeAll, describe, expect, it } from "vitest";
import { makeImage, makeUser, makeWeight, type TestUser } from "../test-helpers";
import { useTestDb } from "../test-hooks";
import { createTaskForTeam } from "./tasks";

const t = useTestDb();
let alice: TestUser;
let weightId: string;
let imageId: string;

beforeAll(async () => {
  alice = await makeUser(t.db);
  const weight = await makeWeight(t.db, { teamId: alice.personalTeamId });
  weightId = weight.id;
  await t.db.weight.update({ where: { id: weight.id }, data: { spec: '{"scale":4}' } });
  imageId = (await makeImage(t.db, alice.personalTeamId, alice.id, "cat.png")).id;
});

const create = (output: unknown) =>
  createTaskForTeam(t.db, {
    teamId: alice.personalTeamId,
    userId: alice.id,
    weightId,
    params: { output },
    target: { type: "image", imageId },
  });

describe("output size at task creation", () => {
  it("refuses sizes the weight's scale cannot give, in words, before anything queues", async () => {
    const image = await t.db.image.findUniqueOrThrow({ where: { id: imageId } });
    const widest = image.width * 4;
    await expect(create({ size: { mode: "scale", scale: 8 } })).rejects.toThrow(
      /x8 is larger than this model's x4; choose x4 or smaller/,
    );
    await expect(create({ size: { mode: "width", width: widest + 1 } })).rejects.toThrow(
      new RegExp(`cat\\.png: a width of ${widest + 1} px .* choose ${widest} px or less`),
    );
    expect(await t.db.task.count({ where: { teamId: alice.personalTeamId } })).toBe(0);
    const ok = await create({ format: "jpeg", size: { mode: "width", width: widest } });
    expect(ok.id).toBeTruthy();
  });
});
