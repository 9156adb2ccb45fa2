import { describe, expect, it } from "vitest";
import { raceProcesses } from "./race-scripts/spawn";
import { freshStoreEach } from "./test-hooks";
import { PROVIDERS } from "./testing";
import { claimTeamInvitations, createUserWithPersonalTeam, EmailTakenError } from "./users";

describe.each(PROVIDERS)("on %s", (provider) => {
  const store = freshStoreEach(provider);

  describe("createUserWithPersonalTeam", () => {
    it("creates the user, a personal team and an ADMIN membership; the first user is site admin", async () => {
      const first = await createUserWithPersonalTeam(store.db, {
        email: "  Ada@Example.COM ",
        name: "Ada",
        passwordHash: "hash-1",
      });
      expect(first.user).toMatchObject({
        email: "ada@example.com",
        name: "Ada",
        isSiteAdmin: true,
      });
      const membership = await store.db.membership.findUniqueOrThrow({
        where: { userId_teamId: { userId: first.user.id, teamId: first.team.id } },
        select: { role: true, team: { select: { isPersonal: true, name: true } } },
      });
      expect(membership).toEqual({
        role: "ADMIN",
        team: { isPersonal: true, name: "Ada (personal)" },
      });

      const second = await createUserWithPersonalTeam(store.db, {
        email: "bob@example.com",
        name: "Bob",
        passwordHash: "h",
      });
      expect(second.user.isSiteAdmin).toBe(false);
      expect(second.team.id).not.toBe(first.team.id);
      const stored = await store.db.user.findUniqueOrThrow({
        where: { id: first.user.id },
        select: { isSiteAdmin: true },
      });
      expect(stored.isSiteAdmin).toBe(true);
    });

    it("refuses a duplicate email (case-insensitively) and leaves no team behind", async () => {
      await createUserWithPersonalTeam(store.db, {
        email: "ada@example.com",
        name: "Ada",
        passwordHash: "h",
      });
      await expect(
        createUserWithPersonalTeam(store.db, {
          email: "ADA@example.com",
          name: "Ada 2",
          passwordHash: "h",
        }),
      ).rejects.toBeInstanceOf(EmailTakenError);
      expect(await store.db.team.count()).toBe(1);
      expect(await store.db.user.count()).toBe(1);
    });

    it("makes exactly one site admin when several processes register at once", async () => {
      const created = await raceProcesses<{ id: string; isSiteAdmin: boolean }[]>("register-race", [
        [store.url, "a", "4"],
        [store.url, "b", "4"],
        [store.url, "c", "4"],
      ]);
      expect(created.flat().filter((u) => u.isSiteAdmin)).toHaveLength(1);
      expect(await store.db.user.count({ where: { isSiteAdmin: true } })).toBe(1);
      expect(await store.db.team.count({ where: { isPersonal: true } })).toBe(12);
      expect(await store.db.membership.count({ where: { role: "ADMIN" } })).toBe(12);
    }, 120_000);
  });
  describe("claimTeamInvitations", () => {
    it("turns the invitations of an email into memberships once, keeping an existing role", async () => {
      const admin = await createUserWithPersonalTeam(store.db, {
        email: "admin@example.com",
        name: "Admin",
        passwordHash: "h",
      });
      const teams = await Promise.all(
        ["one", "two"].map((name) =>
          store.db.team.create({ data: { name }, select: { id: true } }),
        ),
      );
      for (const [i, team] of teams.entries())
        await store.db.teamInvitation.create({
          data: {
            teamId: team.id,
            email: "guest@example.com",
            role: i === 0 ? "ADMIN" : "MEMBER",
            invitedById: admin.user.id,
          },
        });
      // Registration takes them up in its own transaction.
      const guest = await createUserWithPersonalTeam(store.db, {
        email: "Guest@Example.com",
        name: "Guest",
        passwordHash: "h",
      });
      const roles = await store.db.membership.findMany({
        where: { userId: guest.user.id, teamId: { in: teams.map((t) => t.id) } },
        orderBy: { role: "asc" },
        select: { role: true },
      });
      expect(roles.map((m) => m.role)).toEqual(["ADMIN", "MEMBER"]);
      expect(await store.db.teamInvitation.count()).toBe(0);

      // An invitation to a team the user already belongs to leaves the membership as it is.
      const first = teams[0];
      if (!first) throw new Error("no team");
      await store.db.teamInvitation.create({
        data: { teamId: first.id, email: "guest@example.com", role: "MEMBER" },
      });
      expect(await claimTeamInvitations(store.db, guest.user.id, "guest@example.com")).toBe(1);
      expect(
        await store.db.membership.findUniqueOrThrow({
          where: { userId_teamId: { userId: guest.user.id, teamId: first.id } },
          select: { role: true },
        }),
      ).toEqual({ role: "ADMIN" });
      expect(await store.db.teamInvitation.count()).toBe(0);
    });
  });
});
