import { beforeAll, describe, expect, it } from "vitest";
import { callerFor, queueTask } from "../test-caller";
import {
  makeAdminAndMember,
  makeImage,
  makeUser,
  makeWeight,
  type TestUser,
} from "../test-helpers";
import { useTestStore } from "../test-hooks";

const t = useTestStore();
let admin: TestUser;
let member: TestUser;
let outsider: TestUser;
let siteAdmin: TestUser;
let teamId: string;

beforeAll(async () => {
  ({ admin, member, teamId } = await makeAdminAndMember(t.db));
  outsider = await makeUser(t.db);
  siteAdmin = await makeUser(t.db, { siteAdmin: true });
});

describe("weights", () => {
  it("lists own and official weights as a tree; hides other teams' weights", async () => {
    const own = await makeWeight(t.db, { teamId, family: "esrgan" });
    const official = await makeWeight(t.db, { teamId: null, family: "esrgan" });
    const foreign = await makeWeight(t.db, { teamId: outsider.personalTeamId });
    const m = await callerFor(t.db, member.id);
    const ids = (await m.weights.list({ teamId })).map((w) => w.id);
    expect(ids).toEqual(expect.arrayContaining([own.id, official.id]));
    expect(ids).not.toContain(foreign.id);
    const tree = await m.weights.tree({ teamId });
    const sr = tree.find((n) => n.taskKind === "super_resolution");
    expect(sr?.families.find((f) => f.family === "esrgan")?.versions).toHaveLength(2);
    const detail = await m.weights.get({ teamId, weightId: own.id });
    // Not validated yet: the inspection fields are there, empty, so pages need no guessing.
    expect(detail).toMatchObject({
      id: own.id,
      activeTasks: 0,
      ioMetadata: { inputs: [], outputs: [], opset: null, parameterCount: null },
    });
    await expect(m.weights.get({ teamId, weightId: foreign.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("answers kinds and statuses from the shared lists; a stored value outside them is refused", async () => {
    const w = await makeWeight(t.db, { teamId, taskKind: "segmentation" });
    const m = await callerFor(t.db, member.id);
    const detail = await m.weights.get({ teamId, weightId: w.id });
    expect(detail).toMatchObject({ taskKind: "segmentation", status: "ready" });
    // The store keeps these as text; the output parses them, so a client never sees a stray one.
    await t.db.weight.update({ where: { id: w.id }, data: { status: "half-done" } });
    await expect(m.weights.get({ teamId, weightId: w.id })).rejects.toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
    });
    await t.db.weight.delete({ where: { id: w.id } });
  });

  it("sets one default per kind (team before official) and deprecates", async () => {
    const a = await callerFor(t.db, admin.id);
    const w1 = await makeWeight(t.db, { teamId, taskKind: "classification" });
    const w2 = await makeWeight(t.db, { teamId, taskKind: "classification" });
    const off = await makeWeight(t.db, { teamId: null, taskKind: "classification" });
    await (await callerFor(t.db, siteAdmin.id)).weights.official.setDefault({ weightId: off.id });
    expect((await a.weights.defaultFor({ teamId, taskKind: "classification" }))?.id).toBe(off.id);
    await a.weights.setDefault({ teamId, weightId: w1.id });
    await a.weights.setDefault({ teamId, weightId: w2.id });
    expect((await a.weights.defaultFor({ teamId, taskKind: "classification" }))?.id).toBe(w2.id);
    expect(
      await t.db.weight.count({ where: { teamId, taskKind: "classification", isDefault: true } }),
    ).toBe(1);
    const dep = await a.weights.deprecate({ teamId, weightId: w2.id });
    expect(dep.isDefault).toBe(false);
    expect(dep.deprecatedAt).toBeInstanceOf(Date);
    expect(
      (await a.weights.list({ teamId, taskKind: "classification" })).map((w) => w.id),
    ).not.toContain(w2.id);
    await expect(a.weights.setDefault({ teamId, weightId: w2.id })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const pending = await makeWeight(t.db, { teamId, status: "validating" });
    await expect(a.weights.setDefault({ teamId, weightId: pending.id })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("lets only site admins manage official weights", async () => {
    const off = await makeWeight(t.db, { teamId: null });
    const a = await callerFor(t.db, admin.id);
    await expect(a.weights.delete({ teamId, weightId: off.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(a.weights.official.delete({ weightId: off.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const own = await makeWeight(t.db, { teamId });
    await expect(
      (await callerFor(t.db, siteAdmin.id)).weights.official.delete({ weightId: own.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await (await callerFor(t.db, siteAdmin.id)).weights.official.delete({ weightId: off.id });
  });

  it("refuses to delete a weight a queued task uses, then deletes it", async () => {
    const a = await callerFor(t.db, admin.id);
    const image = await makeImage(t.db, teamId, admin.id);
    const { weight: w, task } = await queueTask(t.db, a, teamId, {
      type: "image",
      imageId: image.id,
    });
    await expect(a.weights.delete({ teamId, weightId: w.id })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await a.tasks.cancel({ teamId, taskId: task.id });
    expect(await a.weights.delete({ teamId, weightId: w.id })).toEqual({ deleted: true });
    // The finished task keeps its checksum for the report.
    expect((await a.tasks.report({ teamId, taskId: task.id })).task.weightSha256).toBe(w.sha256);
  });
});
