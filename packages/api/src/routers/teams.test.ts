import { describe, expect, it } from "vitest";
import { authorize } from "../auth/authorize";
import { callerFor } from "../test-caller";
import { makeUser, TEST_PASSWORD } from "../test-helpers";
import { useTestDb } from "../test-hooks";

const t = useTestDb();

describe("teams", () => {
  it("creates a team, adds members by invitation, changes roles, guards the last admin", async () => {
    const alice = await makeUser(t.db);
    const bob = await makeUser(t.db);
    const a = await callerFor(t.db, alice.id);
    const b = await callerFor(t.db, bob.id);
    const team = await a.teams.create({ name: "Lab" });
    const invited = await a.teams.invite({ teamId: team.id, email: bob.email.toUpperCase() });
    expect(invited).toMatchObject({ email: bob.email, role: "MEMBER" });
    // Bob joins on his next visit (the app reads `me` on every page).
    expect((await b.auth.me()).teams.map((x) => x.id)).toContain(team.id);
    await expect(a.teams.invite({ teamId: team.id, email: bob.email })).rejects.toMatchObject({
      code: "CONFLICT",
    });

    expect((await b.teams.mine()).map((x) => x.id)).toContain(team.id);
    expect(await b.teams.members({ teamId: team.id })).toHaveLength(2);
    // A member may not manage the team; the last admin can neither step down nor leave.
    const refused = [
      [() => b.teams.changeRole({ teamId: team.id, userId: bob.id, role: "ADMIN" }), "FORBIDDEN"],
      [() => b.teams.removeMember({ teamId: team.id, userId: alice.id }), "FORBIDDEN"],
      [() => a.teams.changeRole({ teamId: team.id, userId: alice.id, role: "MEMBER" }), "CONFLICT"],
      [() => a.teams.removeMember({ teamId: team.id, userId: alice.id }), "CONFLICT"],
    ] as const;
    for (const [call, code] of refused) await expect(call()).rejects.toMatchObject({ code });

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
    await expect(c.teams.invite({ teamId, email: dave.email })).rejects.toMatchObject({
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

  it("answers an invitation alike whether or not the email has an account", async () => {
    const admin = await makeUser(t.db);
    const existing = await makeUser(t.db, { email: "existing-invitee@example.com" });
    const a = await callerFor(t.db, admin.id);
    const team = await a.teams.create({ name: "Discovery" });

    const toAccount = await a.teams.invite({ teamId: team.id, email: existing.email });
    const toNobody = await a.teams.invite({ teamId: team.id, email: "nobody-here@example.com" });
    // Same fields, same values apart from the email and the row's own id and time.
    const shape = (x: typeof toAccount) => ({ ...x, id: typeof x.id, email: typeof x.email });
    expect(shape(toAccount)).toEqual({ ...shape(toNobody), invitedAt: toAccount.invitedAt });
    expect(Object.keys(toAccount)).toEqual(Object.keys(toNobody));
    expect(toAccount.invitedBy).toBe(toNobody.invitedBy);
    // The old procedure name answers the same way.
    const viaAlias = await a.teams.addMember({ teamId: team.id, email: "alias@example.com" });
    expect(Object.keys(viaAlias)).toEqual(Object.keys(toNobody));
    // Neither became a member at invite time: the member list does not tell them apart either.
    expect((await a.teams.members({ teamId: team.id })).map((m) => m.userId)).toEqual([admin.id]);
    expect((await a.teams.invitations({ teamId: team.id })).map((i) => i.email)).toEqual([
      existing.email,
      "nobody-here@example.com",
      "alias@example.com",
    ]);

    // The existing account joins at its next sign-in.
    await authorize(t.db, { email: existing.email, password: TEST_PASSWORD });
    expect((await a.teams.members({ teamId: team.id })).map((m) => m.userId)).toContain(
      existing.id,
    );
    expect((await a.teams.invitations({ teamId: team.id })).map((i) => i.email)).not.toContain(
      existing.email,
    );
  });

  it("an invited email that registers joins the team with the invited role", async () => {
    const admin = await makeUser(t.db);
    const a = await callerFor(t.db, admin.id);
    const team = await a.teams.create({ name: "Newcomers" });
    await a.teams.invite({ teamId: team.id, email: "Newbie@Example.com", role: "ADMIN" });
    await (await callerFor(t.db, null)).auth.register({
      email: "newbie@example.com",
      name: "Newbie",
      password: "newbie password",
    });
    const members = await a.teams.members({ teamId: team.id });
    expect(members.find((m) => m.email === "newbie@example.com")?.role).toBe("ADMIN");
    expect(await a.teams.invitations({ teamId: team.id })).toEqual([]);
  });

  it("revokes a pending invitation; a revoked one is not honoured", async () => {
    const admin = await makeUser(t.db);
    const other = await makeUser(t.db);
    const a = await callerFor(t.db, admin.id);
    const team = await a.teams.create({ name: "Revocable" });
    const otherTeam = await (await callerFor(t.db, other.id)).teams.create({ name: "Other" });
    const invitation = await a.teams.invite({ teamId: team.id, email: "revoked@example.com" });
    // An admin of another team cannot reach it through their own team.
    await expect(
      (await callerFor(t.db, other.id)).teams.revokeInvitation({
        teamId: otherTeam.id,
        invitationId: invitation.id,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(
      await a.teams.revokeInvitation({ teamId: team.id, invitationId: invitation.id }),
    ).toEqual({ invitationId: invitation.id });
    await expect(
      a.teams.revokeInvitation({ teamId: team.id, invitationId: invitation.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await (await callerFor(t.db, null)).auth.register({
      email: "revoked@example.com",
      name: "Revoked",
      password: "revoked password",
    });
    expect((await a.teams.members({ teamId: team.id })).map((m) => m.email)).not.toContain(
      "revoked@example.com",
    );
  });

  it("inviting again changes the pending role instead of adding a second invitation", async () => {
    const admin = await makeUser(t.db);
    const a = await callerFor(t.db, admin.id);
    const team = await a.teams.create({ name: "Roles" });
    const first = await a.teams.invite({ teamId: team.id, email: "twice@example.com" });
    const second = await a.teams.invite({
      teamId: team.id,
      email: "twice@example.com",
      role: "ADMIN",
    });
    expect(second.id).toBe(first.id);
    expect(await a.teams.invitations({ teamId: team.id })).toMatchObject([
      { email: "twice@example.com", role: "ADMIN" },
    ]);
  });
});
