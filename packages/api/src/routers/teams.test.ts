import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor } from "../test-caller";
import { makeUser, testDb } from "../test-helpers";

let t: TestDatabase;
beforeAll(async () => {
  t = await testDb();
});
afterAll(() => t.cleanup());

describe("teams", () => {
  it("creates a team, adds members by email, changes roles, guards the last admin", async () => {
    const alice = await makeUser(t.db);
    const bob = await makeUser(t.db);
    const a = await callerFor(t.db, alice.id);
    const b = await callerFor(t.db, bob.id);
    const team = await a.teams.create({ name: "Lab" });
    await expect(
      a.teams.addMember({ teamId: team.id, email: "nobody@example.com" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const added = await a.teams.addMember({ teamId: team.id, email: bob.email.toUpperCase() });
    expect(added).toMatchObject({ userId: bob.id, role: "MEMBER" });
    await expect(a.teams.addMember({ teamId: team.id, email: bob.email })).rejects.toMatchObject({
      code: "CONFLICT",
    });

    expect((await b.teams.mine()).map((x) => x.id)).toContain(team.id);
    expect(await b.teams.members({ teamId: team.id })).toHaveLength(2);
    await expect(
      b.teams.changeRole({ teamId: team.id, userId: bob.id, role: "ADMIN" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(b.teams.removeMember({ teamId: team.id, userId: alice.id })).rejects.toMatchObject(
      {
        code: "FORBIDDEN",
      },
    );

    // The last admin can neither step down nor leave.
    await expect(
      a.teams.changeRole({ teamId: team.id, userId: alice.id, role: "MEMBER" }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(a.teams.removeMember({ teamId: team.id, userId: alice.id })).rejects.toMatchObject(
      {
        code: "CONFLICT",
      },
    );

    await a.teams.changeRole({ teamId: team.id, userId: bob.id, role: "ADMIN" });
    // Bob's new role applies on his very next call (membership is re-read).
    expect((await b.teams.rename({ teamId: team.id, name: "Lab 2" })).name).toBe("Lab 2");
    await a.teams.removeMember({ teamId: team.id, userId: alice.id });
    await expect(a.teams.members({ teamId: team.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("keeps personal teams personal", async () => {
    const carol = await makeUser(t.db);
    const dave = await makeUser(t.db);
    const c = await callerFor(t.db, carol.id);
    const teamId = carol.personalTeamId;
    await expect(c.teams.addMember({ teamId, email: dave.email })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(c.teams.removeMember({ teamId, userId: carol.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(
      c.teams.changeRole({ teamId, userId: carol.id, role: "MEMBER" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("hides other teams", async () => {
    const erin = await makeUser(t.db);
    const frank = await makeUser(t.db);
    const f = await callerFor(t.db, frank.id);
    await expect(f.teams.members({ teamId: erin.personalTeamId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
