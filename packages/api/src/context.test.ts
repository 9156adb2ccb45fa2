import { describe, expect, it } from "vitest";
import { createApiToken, revokeApiToken } from "./auth/tokens";
import { createTRPCContext, readTeamMembership } from "./context";
import { createCaller } from "./index";
import { changeRole } from "./services/teams";
import { makeTeam, makeUser } from "./test-helpers";
import { useTestDb } from "./test-hooks";

const t = useTestDb();

const noSession = async () => null;

async function callerWith(
  headers: Record<string, string>,
  session: Parameters<typeof createTRPCContext>[0]["getSession"] = noSession,
) {
  return createCaller(
    await createTRPCContext({ db: t.db, headers: new Headers(headers), getSession: session }),
  );
}

describe("createTRPCContext", () => {
  it("accepts a bearer API token and refuses it once revoked", async () => {
    const user = await makeUser(t.db);
    const { token, id } = await createApiToken(t.db, user.id, { name: "cli" });
    const withToken = await callerWith({ authorization: `Bearer ${token}` });
    expect(await withToken.auth.me()).toMatchObject({ id: user.id, via: "token" });
    await revokeApiToken(t.db, user.id, id);
    const revoked = await callerWith({ authorization: `Bearer ${token}` });
    await expect(revoked.auth.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("does not fall back to the session when a token is bad", async () => {
    const user = await makeUser(t.db);
    const session = async () => ({ user: { id: user.id, sessionVersion: 0 } });
    expect((await (await callerWith({}, session)).auth.me()).via).toBe("session");
    await expect(
      (await callerWith({ authorization: "Bearer vs_bogus" }, session)).auth.me(),
    ).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("refuses a session issued before a password change", async () => {
    const user = await makeUser(t.db);
    await t.db.user.update({ where: { id: user.id }, data: { sessionVersion: 2 } });
    const stale = await callerWith({}, async () => ({ user: { id: user.id, sessionVersion: 1 } }));
    await expect(stale.auth.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("applies a demotion on the next request", async () => {
    const admin = await makeUser(t.db);
    const other = await makeUser(t.db);
    const team = await makeTeam(t.db, [
      { userId: admin.id, role: "ADMIN" },
      { userId: other.id, role: "ADMIN" },
    ]);
    const session = async () => ({ user: { id: admin.id, sessionVersion: 0 } });
    const before = await callerWith({}, session);
    await before.teams.rename({ teamId: team.id, name: "ok" });
    // The other admin demotes this one (through the service, as teams.changeRole does).
    await changeRole(
      t.db,
      { ...team, name: "ok", isPersonal: false, role: "ADMIN" },
      admin.id,
      "MEMBER",
    );
    // Same context object even: membership is checked per call, not kept in the session.
    await expect(before.teams.rename({ teamId: team.id, name: "no" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("reads a membership with its team in one query, and sees role changes at once", async () => {
    const admin = await makeUser(t.db);
    const member = await makeUser(t.db);
    const stranger = await makeUser(t.db);
    const team = await makeTeam(t.db, [
      { userId: admin.id, role: "ADMIN" },
      { userId: member.id, role: "MEMBER" },
    ]);
    const named = await t.db.team.findUniqueOrThrow({
      where: { id: team.id },
      select: { id: true, name: true, isPersonal: true },
    });
    expect(await readTeamMembership(t.db, admin.id, team.id)).toStrictEqual({
      ...named,
      role: "ADMIN",
    });
    expect(await readTeamMembership(t.db, member.id, team.id)).toStrictEqual({
      ...named,
      role: "MEMBER",
    });
    expect(await readTeamMembership(t.db, stranger.id, team.id)).toBeNull();
    expect(await readTeamMembership(t.db, admin.id, "no-such-team")).toBeNull();
    expect(await readTeamMembership(t.db, member.id, member.personalTeamId)).toMatchObject({
      isPersonal: true,
      role: "ADMIN",
    });
    await t.db.membership.update({
      where: { userId_teamId: { userId: admin.id, teamId: team.id } },
      data: { role: "MEMBER" },
    });
    expect(await readTeamMembership(t.db, admin.id, team.id)).toMatchObject({ role: "MEMBER" });
  });
});
