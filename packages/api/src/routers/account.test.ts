import { describe, expect, it } from "vitest";
import { authorize } from "../auth/authorize";
import { runningHashes } from "../auth/password";
import { CLIENT_ADDRESS_HEADER } from "../auth/rate-limit";
import { resetEnvForTests } from "../env";
import { callerFor } from "../test-caller";
import { makeUser, TEST_PASSWORD } from "../test-helpers";
import { useTestDb } from "../test-hooks";

const t = useTestDb();

describe("auth and account", () => {
  it("registers a user with a personal team; the first becomes site admin", async () => {
    const anon = await callerFor(t.db, null);
    expect(
      await anon.auth.register({
        email: "First@Example.com",
        name: "First",
        password: "long enough",
      }),
    ).toEqual({ ok: true });
    const first = await t.db.user.findUniqueOrThrow({
      where: { email: "first@example.com" },
      select: { id: true, name: true, isSiteAdmin: true },
    });
    expect(first).toMatchObject({ name: "First", isSiteAdmin: true });
    await anon.auth.register({
      email: "second@example.com",
      name: "Second",
      password: "long enough",
    });
    await expect(
      anon.auth.register({ email: "x@example.com", name: "X", password: "short" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });

    // The registered password signs in through the same function next-auth calls.
    const second = await authorize(t.db, { email: "second@example.com", password: "long enough" });
    const me = await (await callerFor(t.db, second.id)).auth.me();
    expect(me.isSiteAdmin).toBe(false);
    expect(me.teams).toEqual([
      { id: expect.any(String), name: expect.any(String), isPersonal: true, role: "ADMIN" },
    ]);
  });

  it("answers a registration for an existing email exactly like a new one, and changes nothing", async () => {
    const anon = await callerFor(t.db, null);
    const owner = await makeUser(t.db, { email: "taken@example.com", name: "Owner" });
    const before = await t.db.user.findUniqueOrThrow({
      where: { id: owner.id },
      select: { name: true, passwordHash: true, sessionVersion: true, updatedAt: true },
    });
    const users = await t.db.user.count();

    // The same scrypt work runs for a taken email as for a new one.
    let hashed = false;
    const watch = setInterval(() => {
      hashed ||= runningHashes() > 0;
    }, 2);
    const taken = await anon.auth
      .register({ email: "TAKEN@example.com", name: "Intruder", password: "intruder pass" })
      .finally(() => clearInterval(watch));
    expect(hashed).toBe(true);
    const fresh = await anon.auth.register({
      email: "fresh@example.com",
      name: "Fresh",
      password: "fresh password",
    });
    expect(taken).toEqual(fresh);
    expect(JSON.stringify(taken)).toBe(JSON.stringify(fresh));

    // No new user for the taken email, and the account is untouched.
    expect(await t.db.user.count()).toBe(users + 1);
    expect(
      await t.db.user.findUniqueOrThrow({
        where: { id: owner.id },
        select: { name: true, passwordHash: true, sessionVersion: true, updatedAt: true },
      }),
    ).toEqual(before);
    expect(
      (await authorize(t.db, { email: "taken@example.com", password: TEST_PASSWORD })).id,
    ).toBe(owner.id);
    await expect(
      authorize(
        t.db,
        { email: "taken@example.com", password: "intruder pass" },
        { ip: "10.1.1.1" },
      ),
    ).rejects.toMatchObject({ code: "INVALID_CREDENTIALS" });
  });

  it("two registrations racing for one email both answer alike; one account results", async () => {
    const anon = await callerFor(t.db, null);
    const results = await Promise.all(
      ["one pass here", "two pass here"].map((password) =>
        anon.auth.register({ email: "race@example.com", name: "Race", password }),
      ),
    );
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    expect(await t.db.user.count({ where: { email: "race@example.com" } })).toBe(1);
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

  it("limits registrations by the socket address header without TRUST_PROXY", async () => {
    const { createTRPCContext } = await import("../context");
    const { createCaller } = await import("../index");
    const saved = process.env.TRUST_PROXY;
    delete process.env.TRUST_PROXY;
    resetEnvForTests();
    try {
      const from = async (address: string) =>
        createCaller(
          await createTRPCContext({
            db: t.db,
            // A forged X-Forwarded-For does not move the client to another address.
            headers: new Headers({
              [CLIENT_ADDRESS_HEADER]: address,
              "x-forwarded-for": `203.0.113.${Math.floor(Math.random() * 250)}`,
            }),
            getSession: async () => null,
          }),
        );
      for (let i = 0; i < 10; i++) {
        await t.db.rateLimitHit.create({ data: { bucket: "register-ip:10.8.8.8" } });
      }
      await expect(
        (await from("10.8.8.8")).auth.register({
          email: "socket-limited@example.com",
          name: "L",
          password: "long enough",
        }),
      ).rejects.toMatchObject({
        code: "TOO_MANY_REQUESTS",
        message: expect.stringMatching(/Try again in/),
      });
      expect(
        await (await from("10.8.8.9")).auth.register({
          email: "socket-ok@example.com",
          name: "OK",
          password: "long enough",
        }),
      ).toEqual({ ok: true });
    } finally {
      if (saved !== undefined) process.env.TRUST_PROXY = saved;
      resetEnvForTests();
    }
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
