import { expect, it } from "vitest";
import { callerFor } from "../test-caller";
import { makeUser } from "../test-helpers";
import { useTestDb } from "../test-hooks";

const t = useTestDb();

it("lists built-in presets, saves validated team presets by name, deletes them", async () => {
  const alice = await makeUser(t.db);
  const bob = await makeUser(t.db);
  const teamId = alice.personalTeamId;
  const a = await callerFor(t.db, alice.id);
  const builtIn = await a.presets.list({ teamId, taskKind: "super_resolution" });
  expect(builtIn.map((p) => p.id)).toContain("builtin:super_resolution:gentle");
  expect(builtIn.every((p) => p.builtIn)).toBe(true);

  const saved = await a.presets.save({
    teamId,
    taskKind: "segmentation",
    name: "low",
    params: { threshold: 0.2 },
  });
  expect(saved.params).toMatchObject({ threshold: 0.2, tile: 512 });
  const again = await a.presets.save({
    teamId,
    taskKind: "segmentation",
    name: "low",
    params: { threshold: 0.25 },
  });
  expect(again.id).toBe(saved.id);
  await expect(
    a.presets.save({ teamId, taskKind: "segmentation", name: "bad", params: { threshold: 7 } }),
  ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  expect(
    (await a.presets.list({ teamId, taskKind: "segmentation" })).filter((p) => !p.builtIn),
  ).toHaveLength(1);
  await expect(
    (await callerFor(t.db, bob.id)).presets.delete({
      teamId: bob.personalTeamId,
      presetId: saved.id,
    }),
  ).rejects.toMatchObject({ code: "NOT_FOUND" });
  await a.presets.delete({ teamId, presetId: saved.id });
  expect(
    (await a.presets.list({ teamId, taskKind: "segmentation" })).filter((p) => !p.builtIn),
  ).toHaveLength(0);
});
