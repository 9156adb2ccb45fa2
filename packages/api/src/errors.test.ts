// Errors that reach clients in production carry no stack, SQL or Prisma text.
import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "./auth/tokens";
import { resetEnvForTests } from "./env";
import { toClientError } from "./errors";
import { makeUser, testDb } from "./test-helpers";

let t: TestDatabase;
beforeAll(async () => {
  (process.env as Record<string, string>).NODE_ENV = "production";
  process.env.NEXTAUTH_SECRET = "x".repeat(32);
  resetEnvForTests();
  t = await testDb();
});
afterAll(async () => {
  (process.env as Record<string, string>).NODE_ENV = "test";
  resetEnvForTests();
  await t.cleanup();
});

describe("client errors", () => {
  it("maps real Prisma errors to clean codes", async () => {
    const missing = await t.db.user
      .update({ where: { id: "nope" }, data: { name: "x" } })
      .catch((e: unknown) => e);
    expect(toClientError(missing)).toMatchObject({ code: "NOT_FOUND", message: "Not found." });
    const user = await makeUser(t.db);
    const dup = await t.db.user
      .create({ data: { email: user.email, name: "dup", passwordHash: "x" } })
      .catch((e: unknown) => e);
    expect(toClientError(dup)).toMatchObject({ code: "CONFLICT" });
    expect(toClientError(new Error("plain"))).toBeNull();
  });

  it("answers an internal store failure over HTTP without stack, SQL or Prisma text", async () => {
    const { createApiHandler } = await import("./http/handler");
    const user = await makeUser(t.db);
    const { token } = await createApiToken(t.db, user.id, { name: "t" });
    await t.db.$executeRawUnsafe('DROP TABLE "Preset"');
    const handler = createApiHandler({ db: t.db });
    const input = encodeURIComponent(JSON.stringify({ json: { teamId: user.personalTeamId } }));
    const response = await handler(
      new Request(`http://x/api/trpc/presets.list?input=${input}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toContain("Internal server error.");
    for (const leak of ["Preset", "prisma", "Prisma", "SELECT", "stack", "at "])
      expect(text).not.toContain(leak);

    const bad = await handler(
      new Request("http://x/api/trpc/tasks.get?input=%7B%22json%22%3A%7B%7D%7D", {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain("stack");
  });
});
