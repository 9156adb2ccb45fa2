// Sign-in, session and sign-out through next-auth's real request handler (the same one
// app/api/auth/[...nextauth] mounts), then the session cookie feeding createTRPCContext.

import { createRequire } from "node:module";
import path from "node:path";
import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTRPCContext } from "../context";
import { resetEnvForTests } from "../env";
import { createCaller } from "../index";
import { makeUser, TEST_PASSWORD, type TestUser, testDb } from "../test-helpers";
import { forgetAuth } from "./auth-cache";
import { ADDRESS_FAILURE_RULE } from "./authorize";
import { createAuthOptions, type StudioSession } from "./next-auth";
import { CLIENT_ADDRESS_HEADER } from "./rate-limit";
import { createSessionCookieReader } from "./session-cookie";

// next-auth's framework-free handler (what its Next.js route wraps); not in its exports map.
const require = createRequire(import.meta.url);
const { AuthHandler } = require(
  path.join(path.dirname(require.resolve("next-auth")), "core/index.js"),
) as {
  AuthHandler: (params: { req: Request; options: unknown }) => Promise<{
    status?: number;
    body?: unknown;
    redirect?: string;
    cookies?: Array<{ name: string; value: string; options?: { maxAge?: number } }>;
  }>;
};

let t: TestDatabase;
let alice: TestUser;
let options: ReturnType<typeof createAuthOptions>;
const BASE = "http://localhost:3000";

beforeAll(async () => {
  process.env.NEXTAUTH_URL = BASE;
  process.env.NEXTAUTH_SECRET = "test-secret-test-secret-test-secret";
  resetEnvForTests();
  t = await testDb();
  alice = await makeUser(t.db, { email: "alice@example.com" });
  options = createAuthOptions(() => t.db);
});
afterAll(() => t.cleanup());

type Jar = Map<string, string>;
const cookieHeader = (jar: Jar) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

async function auth(
  jar: Jar,
  path: string,
  init: { method?: string; body?: Record<string, string>; headers?: Record<string, string> } = {},
) {
  const res = await AuthHandler({
    req: new Request(`${BASE}/api/auth/${path}`, {
      method: init.method ?? "GET",
      headers: {
        cookie: cookieHeader(jar),
        host: "localhost:3000",
        ...(init.body ? { "content-type": "application/json" } : {}),
        ...init.headers,
      },
      // The framework-free handler reads JSON bodies (the Next.js route passes form posts on).
      body: init.body ? JSON.stringify(init.body) : undefined,
    }),
    options,
  });
  for (const c of res.cookies ?? []) {
    if (c.options?.maxAge === 0 || c.value === "") jar.delete(c.name);
    else jar.set(c.name, c.value);
  }
  return res;
}

async function signIn(email: string, password: string, headers?: Record<string, string>) {
  const jar: Jar = new Map();
  const csrf = await auth(jar, "csrf");
  const { csrfToken } = csrf.body as { csrfToken: string };
  const res = await auth(jar, "callback/credentials", {
    method: "POST",
    body: { email, password, csrfToken, callbackUrl: `${BASE}/dashboard`, json: "true" },
    headers,
  });
  return { jar, res };
}

const sessionOf = async (jar: Jar) =>
  (await auth(jar, "session")).body as StudioSession & { user?: { email?: string } };

describe("next-auth credentials sign-in", () => {
  it("signs in, exposes id and sessionVersion in the session, and authenticates tRPC", async () => {
    const { jar, res } = await signIn("alice@example.com", TEST_PASSWORD);
    expect(res.redirect, JSON.stringify(res)).toBe(`${BASE}/dashboard`);
    expect([...jar.keys()].some((k) => k.endsWith("next-auth.session-token"))).toBe(true);
    const session = await sessionOf(jar);
    expect(session.user).toMatchObject({
      id: alice.id,
      email: "alice@example.com",
      sessionVersion: 0,
    });

    const caller = createCaller(
      await createTRPCContext({
        db: t.db,
        headers: new Headers(),
        getSession: () => sessionOf(jar),
      }),
    );
    expect((await caller.auth.me()).id).toBe(alice.id);

    // A password change ends the session at once (changePassword forgets the cached user too).
    await t.db.user.update({ where: { id: alice.id }, data: { sessionVersion: { increment: 1 } } });
    forgetAuth(t.db);
    const stale = createCaller(
      await createTRPCContext({
        db: t.db,
        headers: new Headers(),
        getSession: () => sessionOf(jar),
      }),
    );
    await expect(stale.auth.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await t.db.user.update({ where: { id: alice.id }, data: { sessionVersion: 0 } });
    forgetAuth(t.db);

    // Sign out clears the cookie.
    const { csrfToken } = (await auth(jar, "csrf")).body as { csrfToken: string };
    await auth(jar, "signout", { method: "POST", body: { csrfToken, json: "true" } });
    expect((await sessionOf(jar)).user).toBeUndefined();
  });

  it("reads the same session from the cookie outside Next.js (the production server's API)", async () => {
    const { jar } = await signIn("alice@example.com", TEST_PASSWORD);
    const readSession = createSessionCookieReader();
    const withCookie = (cookie: string) =>
      new Request(`${BASE}/api/trpc/auth.me`, { headers: { cookie } });
    const expected = { user: { id: alice.id, sessionVersion: 0 } };
    expect(await readSession(withCookie(cookieHeader(jar)))).toStrictEqual(expected);
    // Again (now remembered), and beside other cookies.
    expect(await readSession(withCookie(`theme=dark; ${cookieHeader(jar)}`))).toStrictEqual(
      expected,
    );
    expect((await sessionOf(jar)).user).toMatchObject(expected.user);

    const [name, value] = [...jar].find(([k]) => k.endsWith("session-token")) as [string, string];
    const forged = `${value.slice(0, -4)}${value.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    expect(await readSession(withCookie(`${name}=${forged}`))).toBeNull();
    expect(await readSession(withCookie("theme=dark"))).toBeNull();
    expect(await readSession(new Request(`${BASE}/api/trpc/auth.me`))).toBeNull();
  });

  it("answers wrong password and unknown email identically", async () => {
    const wrong = await signIn("alice@example.com", "not the password");
    const unknown = await signIn("nobody@example.com", "not the password");
    expect(wrong.res.redirect).toBe(unknown.res.redirect);
    expect(wrong.res.redirect).toContain("error=CredentialsSignin");
    expect(wrong.res.status).toBe(unknown.res.status);
    expect([...wrong.jar.keys()].some((k) => k.includes("session-token"))).toBe(false);
  });

  it("limits an address by the socket address our server sets, without TRUST_PROXY", async () => {
    const saved = process.env.TRUST_PROXY;
    delete process.env.TRUST_PROXY;
    resetEnvForTests();
    try {
      // The address has used its failure budget (rows as failed sign-ins leave them).
      const now = Date.now();
      await t.db.signInAttempt.createMany({
        data: Array.from({ length: ADDRESS_FAILURE_RULE.limit }, (_, i) => ({
          email: `someone-${i}@example.com`,
          address: "198.51.100.23",
          createdAt: new Date(now - 1000),
        })),
      });
      const limited = await signIn("alice@example.com", TEST_PASSWORD, {
        [CLIENT_ADDRESS_HEADER]: "198.51.100.23",
        // Forged forwarding headers do not move the client to another address.
        "x-forwarded-for": "203.0.113.99",
        "x-real-ip": "203.0.113.99",
      });
      expect(limited.res.redirect).toMatch(/error=TOO_MANY_ATTEMPTS%3A\d+/);
      expect([...limited.jar.keys()].some((k) => k.includes("session-token"))).toBe(false);
      const wait = Number(/TOO_MANY_ATTEMPTS%3A(\d+)/.exec(limited.res.redirect ?? "")?.[1]);
      expect(wait).toBeGreaterThan(ADDRESS_FAILURE_RULE.windowMs / 1000 - 60);
      expect(wait).toBeLessThanOrEqual(ADDRESS_FAILURE_RULE.windowMs / 1000);

      const other = await signIn("alice@example.com", TEST_PASSWORD, {
        [CLIENT_ADDRESS_HEADER]: "198.51.100.24",
      });
      expect(other.res.redirect).toBe(`${BASE}/dashboard`);
    } finally {
      if (saved !== undefined) process.env.TRUST_PROXY = saved;
      resetEnvForTests();
    }
  });

  it("requires NEXTAUTH_SECRET in production", async () => {
    const { resolveAuthSecret } = await import("./next-auth");
    const env = process.env as Record<string, string | undefined>;
    const saved = { NODE_ENV: env.NODE_ENV, NEXTAUTH_SECRET: env.NEXTAUTH_SECRET };
    try {
      env.NODE_ENV = "production";
      delete env.NEXTAUTH_SECRET;
      resetEnvForTests();
      expect(() => resolveAuthSecret()).toThrow(/NEXTAUTH_SECRET must be set/);
      // Importing and building the options is fine (next build); using them is not.
      expect(() => createAuthOptions(() => t.db)).not.toThrow();
    } finally {
      Object.assign(env, saved);
      resetEnvForTests();
    }
  });
});
