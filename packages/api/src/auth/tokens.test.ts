import { describe, expect, it } from "vitest";
import { makeUser } from "../test-helpers";
import { useTestDb } from "../test-hooks";
import { createApiToken, hashToken, listApiTokens, revokeApiToken, verifyApiToken } from "./tokens";

const t = useTestDb();

describe("API tokens", () => {
  it("stores only the sha256, verifies, records last use, and refuses once revoked", async () => {
    const user = await makeUser(t.db);
    const created = await createApiToken(t.db, user.id, { name: "ci" });
    expect(created.token).toMatch(/^vs_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(0, 9));
    const row = await t.db.apiToken.findUniqueOrThrow({
      where: { id: created.id },
      select: { tokenHash: true },
    });
    expect(row.tokenHash).toBe(hashToken(created.token));
    expect(row.tokenHash).not.toContain(created.token.slice(3));

    expect(await verifyApiToken(t.db, created.token)).toMatchObject({
      userId: user.id,
      tokenId: created.id,
    });
    const [listed] = await listApiTokens(t.db, user.id);
    expect(listed?.lastUsedAt).toBeInstanceOf(Date);
    expect(listed).not.toHaveProperty("tokenHash");

    expect(await revokeApiToken(t.db, user.id, created.id)).toBe(true);
    expect(await verifyApiToken(t.db, created.token)).toBeNull();
  });

  it("refuses expired, unknown and foreign tokens", async () => {
    const user = await makeUser(t.db);
    const other = await makeUser(t.db);
    const expired = await createApiToken(t.db, user.id, {
      name: "old",
      expiresAt: new Date(Date.now() - 1000),
    });
    expect(await verifyApiToken(t.db, expired.token)).toBeNull();
    expect(await verifyApiToken(t.db, "vs_doesnotexist")).toBeNull();
    expect(await verifyApiToken(t.db, "Bearer nonsense")).toBeNull();
    const mine = await createApiToken(t.db, user.id, { name: "mine" });
    expect(await revokeApiToken(t.db, other.id, mine.id)).toBe(false);
    expect(await verifyApiToken(t.db, mine.token)).not.toBeNull();
  });

  it("returns the current user row with the token and writes lastUsedAt once a minute", async () => {
    const user = await makeUser(t.db, { siteAdmin: true });
    const created = await createApiToken(t.db, user.id, {
      name: "poll",
      expiresAt: new Date(Date.now() + 60_000),
    });
    const first = await verifyApiToken(t.db, created.token);
    expect(first).toStrictEqual({
      userId: user.id,
      tokenId: created.id,
      user: {
        id: user.id,
        email: user.email,
        name: expect.any(String),
        isSiteAdmin: true,
        sessionVersion: 0,
      },
    });
    const used = await t.db.apiToken.findUniqueOrThrow({
      where: { id: created.id },
      select: { lastUsedAt: true },
    });
    await verifyApiToken(t.db, created.token, new Date(Date.now() + 30_000));
    const again = await t.db.apiToken.findUniqueOrThrow({
      where: { id: created.id },
      select: { lastUsedAt: true },
    });
    expect(again.lastUsedAt).toEqual(used.lastUsedAt);
    // A demotion and a password change show on the very next call.
    await t.db.user.update({
      where: { id: user.id },
      data: { isSiteAdmin: false, sessionVersion: { increment: 1 } },
    });
    expect((await verifyApiToken(t.db, created.token))?.user).toMatchObject({
      isSiteAdmin: false,
      sessionVersion: 1,
    });
    expect(await verifyApiToken(t.db, created.token, new Date(Date.now() + 120_000))).toBeNull();
  });
});
