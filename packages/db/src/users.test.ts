import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { raceProcesses } from "./race-scripts/spawn";
import { createTestDatabase, type TestDatabase } from "./testing";
import { createUserWithPersonalTeam, EmailTakenError } from "./users";

let store: TestDatabase;
beforeEach(async () => {
  store = await createTestDatabase();
});
afterEach(async () => {
  await store.cleanup();
});

describe("createUserWithPersonalTeam", () => {
  it("creates the user, a personal team and an ADMIN membership; the first user is site admin", async () => {
    const first = await createUserWithPersonalTeam(store.db, {
      email: "  Ada@Example.COM ",
      name: "Ada",
      passwordHash: "hash-1",
    });
    expect(first.user).toMatchObject({ email: "ada@example.com", name: "Ada", isSiteAdmin: true });
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
