import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorize } from "../auth/authorize";
import { callerFor } from "../test-caller";
import { makeUser, TEST_PASSWORD, testDb } from "../test-helpers";

let t: TestDatabase;
beforeAll(async () => {
  t = await testDb();
});
afterAll(() => t.cleanup());

describe("auth and account", () => {
  it("registers a user with a personal team; the first becomes site admin; duplicates conflict", async () => {
    const anon = await callerFor(t.db, null);
    const first = await anon.auth.register({
      email: "First@Example.com",
      name: "First",
      password: "long enough",
    });
    expect(first.user).toMatchObject({
      email: "first@example.com",
      name: "First",
      isSiteAdmin: true,
    });
    expect(first.user).not.toHaveProperty("passwordHash");
    const second = await anon.auth.register({
      email: "second@example.com",
      name: "Second",
      password: "long enough",
    });
    expect(second.user.isSiteAdmin).toBe(false);
    await expect(
      anon.auth.register({ email: "SECOND@example.com", name: "Again", password: "long enough" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      anon.auth.register({ email: "x@example.com", name: "X", password: "short" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });

    const me = await (await callerFor(t.db, second.user.id)).auth.me();
    expect(me.teams).toEqual([
      { id: second.personalTeamId, name: expect.any(String), isPersonal: true, role: "ADMIN" },
    ]);
    // The registered password signs in through the same function next-auth calls.
    expect(
      (await authorize(t.db, { email: "second@example.com", password: "long enough" })).id,
    ).toBe(second.user.id);
  });

  it("rate-limits registrations per address", async () => {
    const { createInnerContext } = await import("../context");
    const { createCaller } = await import("../index");
    const anon = createCaller(
      await createInnerContext({ db: t.db, userId: null, via: null, clientIp: "10.9.9.9" }),
    );
    for (let i = 0; i < 10; i++) {
      await t.db.rateLimitHit.create({ data: { bucket: "register-ip:10.9.9.9" } });
    }
    await expect(
      anon.auth.register({ email: "limited@example.com", name: "L", password: "long enough" }),
    ).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
  });

  it("updates profile and settings", async () => {
    const user = await makeUser(t.db);
    const caller = await callerFor(t.db, user.id);
    expect((await caller.account.updateProfile({ name: "  New Name " })).name).toBe("New Name");
    expect(await caller.account.settings.get()).toMatchObject({ locale: "en", theme: "system" });
    const next = await caller.account.settings.update({
      theme: "dark",
      defaultPresets: { super_resolution: "anime" },
    });
    expect(next).toMatchObject({
      theme: "dark",
      locale: "en",
      defaultPresets: { super_resolution: "anime" },
    });
    expect(await caller.account.settings.get()).toEqual(next);
    await expect(caller.account.settings.update({ theme: "neon" as never })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("changes the password only with the current one and ends older sessions", async () => {
    const user = await makeUser(t.db);
    const caller = await callerFor(t.db, user.id);
    await expect(
      caller.account.changePassword({
        currentPassword: "wrong one",
        newPassword: "brand new pass",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const { sessionVersion } = await caller.account.changePassword({
      currentPassword: TEST_PASSWORD,
      newPassword: "brand new pass",
    });
    expect(sessionVersion).toBe(1);
    await expect(
      authorize(t.db, { email: user.email, password: TEST_PASSWORD }),
    ).rejects.toMatchObject({
      code: "INVALID_CREDENTIALS",
    });
    expect(
      (await authorize(t.db, { email: user.email, password: "brand new pass" })).sessionVersion,
    ).toBe(1);
  });

  it("creates, lists and revokes API tokens; the secret is shown once", async () => {
    const user = await makeUser(t.db);
    const other = await makeUser(t.db);
    const caller = await callerFor(t.db, user.id);
    const created = await caller.account.tokens.create({ name: "script", expiresInDays: 30 });
    expect(created.token).toMatch(/^vs_/);
    const list = await caller.account.tokens.list();
    expect(list).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain(created.token);
    await expect(
      (await callerFor(t.db, other.id)).account.tokens.revoke({ tokenId: created.id }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await caller.account.tokens.revoke({ tokenId: created.id });
    expect((await caller.account.tokens.list())[0]?.revokedAt).toBeInstanceOf(Date);
  });

  it("refuses token management through an API token", async () => {
    const user = await makeUser(t.db);
    const session = await callerFor(t.db, user.id, "session");
    const created = await session.account.tokens.create({ name: "script" });
    const viaToken = await callerFor(t.db, user.id, "token");
    await expect(viaToken.account.tokens.create({ name: "persist" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("browser session"),
    });
    await expect(viaToken.account.tokens.revoke({ tokenId: created.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await session.account.tokens.list()).toHaveLength(1);
    expect((await session.account.tokens.list())[0]?.revokedAt).toBeNull();
  });

  it("revokes every API token on a password change", async () => {
    const user = await makeUser(t.db);
    const caller = await callerFor(t.db, user.id);
    await caller.account.tokens.create({ name: "a" });
    await caller.account.tokens.create({ name: "b" });
    const result = await caller.account.changePassword({
      currentPassword: TEST_PASSWORD,
      newPassword: "another new pass",
    });
    expect(result.revokedTokens).toBe(2);
    const tokens = await caller.account.tokens.list();
    expect(tokens.every((tk) => tk.revokedAt instanceof Date)).toBe(true);
  });
});
