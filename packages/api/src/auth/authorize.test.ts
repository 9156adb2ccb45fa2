import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env, resetEnvForTests } from "../env";
import { makeUser, TEST_PASSWORD, testDb } from "../test-helpers";
import { authorize, IP_SIGN_IN_RULE, LOCK_MS, MAX_FAILED_SIGN_INS, SignInError } from "./authorize";
import { MAX_CONCURRENT_HASHES, runningHashes } from "./password";
import { clientIpFromHeaders } from "./rate-limit";

function loadEnvDefaultTrustProxy() {
  const saved = process.env.TRUST_PROXY;
  delete process.env.TRUST_PROXY;
  resetEnvForTests();
  try {
    return env().TRUST_PROXY;
  } finally {
    if (saved !== undefined) process.env.TRUST_PROXY = saved;
    resetEnvForTests();
  }
}

let t: TestDatabase;
beforeAll(async () => {
  t = await testDb();
});
afterAll(() => t.cleanup());

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SignInError);
  return error as SignInError;
}

describe("authorize", () => {
  it("signs in with the right password, case-insensitive email", async () => {
    const user = await makeUser(t.db, { email: "alice@example.com" });
    const ok = await authorize(t.db, { email: " Alice@Example.com ", password: TEST_PASSWORD });
    expect(ok.id).toBe(user.id);
    expect(ok).not.toHaveProperty("passwordHash");
  });

  it("gives the identical error, in similar time, for unknown email and wrong password", async () => {
    await makeUser(t.db, { email: "bob@example.com" });
    const wrong = await failure(
      authorize(t.db, { email: "bob@example.com", password: "nope-nope" }),
    );
    const unknown = await failure(
      authorize(t.db, { email: "nobody@example.com", password: "nope-nope" }),
    );
    expect(unknown.code).toBe(wrong.code);
    expect(unknown.message).toBe(wrong.message);
    expect(wrong.code).toBe("INVALID_CREDENTIALS");
    // Both pay for one scrypt; without the dummy hash the unknown email would take ~0 ms.
    // Medians of alternating runs, because the machine's load moves single timings a lot.
    const time = async (email: string) => {
      const t0 = performance.now();
      await authorize(t.db, { email, password: "nope-nope" }).catch(() => {});
      return performance.now() - t0;
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 3; i++) {
      a.push(await time("bob@example.com"));
      b.push(await time("nobody@example.com"));
    }
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[1] as number;
    const [ma, mb] = [median(a), median(b)];
    expect(Math.min(ma, mb) / Math.max(ma, mb)).toBeGreaterThan(0.3);
    // A hash takes far longer than a row lookup: the unknown email did run scrypt.
    expect(mb).toBeGreaterThan(50);
  });

  it("locks an account after repeated failures, even for the right password, then unlocks", async () => {
    await makeUser(t.db, { email: "carol@example.com" });
    const now = new Date();
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) {
      const e = await failure(
        authorize(t.db, { email: "carol@example.com", password: "wrong-pass" }, { now }),
      );
      expect(e.code).toBe("INVALID_CREDENTIALS");
    }
    const locked = await failure(
      authorize(t.db, { email: "carol@example.com", password: TEST_PASSWORD }, { now }),
    );
    expect(locked.code).toBe("TOO_MANY_ATTEMPTS");
    expect(locked.retryAfterMs).toBeGreaterThan(0);
    const later = new Date(now.getTime() + LOCK_MS + 1000);
    const ok = await authorize(
      t.db,
      { email: "carol@example.com", password: TEST_PASSWORD },
      { now: later },
    );
    expect(ok.email).toBe("carol@example.com");
    const row = await t.db.user.findUniqueOrThrow({
      where: { email: "carol@example.com" },
      select: { failedSignIns: true, lockedUntil: true },
    });
    expect(row).toEqual({ failedSignIns: 0, lockedUntil: null });
  });

  it("throttles an unknown email exactly like an account", async () => {
    const now = new Date();
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) {
      const e = await failure(
        authorize(t.db, { email: "ghost@example.com", password: "x-x-x-x-x" }, { now }),
      );
      expect(e.code).toBe("INVALID_CREDENTIALS");
    }
    const locked = await failure(
      authorize(t.db, { email: "ghost@example.com", password: "x" }, { now }),
    );
    expect(locked.code).toBe("TOO_MANY_ATTEMPTS");
  });

  it("rate-limits one address across accounts", async () => {
    const now = new Date();
    let last: SignInError | undefined;
    for (let i = 0; i < IP_SIGN_IN_RULE.limit; i++) {
      // malformed credentials are cheap and still count against the address
      last = await failure(
        authorize(t.db, { email: `x${i}@example.com` }, { ip: "10.0.0.9", now }),
      );
    }
    expect(last?.code).toBe("INVALID_CREDENTIALS");
    const limited = await failure(
      authorize(
        t.db,
        { email: "alice@example.com", password: TEST_PASSWORD },
        { ip: "10.0.0.9", now },
      ),
    );
    expect(limited.code).toBe("TOO_MANY_ATTEMPTS");
  });

  it("counts concurrent guesses before hashing, so a burst cannot exceed the lock limit", async () => {
    await makeUser(t.db, { email: "burst@example.com" });
    let peak = 0;
    const watch = setInterval(() => {
      peak = Math.max(peak, runningHashes());
    }, 5);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        failure(authorize(t.db, { email: "burst@example.com", password: `guess-${i}` })),
      ),
    );
    clearInterval(watch);
    const codes = results.map((e) => e.code);
    expect(codes.filter((c) => c === "INVALID_CREDENTIALS").length).toBe(MAX_FAILED_SIGN_INS);
    expect(codes.filter((c) => c === "TOO_MANY_ATTEMPTS").length).toBe(12 - MAX_FAILED_SIGN_INS);
    expect(peak).toBeLessThanOrEqual(MAX_CONCURRENT_HASHES);
    // Locked now, even for the right password.
    const locked = await failure(
      authorize(t.db, { email: "burst@example.com", password: TEST_PASSWORD }),
    );
    expect(locked.code).toBe("TOO_MANY_ATTEMPTS");
  }, 120_000);

  it("a success releases the reserved attempt and resets the counter", async () => {
    const user = await makeUser(t.db, { email: "dora@example.com" });
    await failure(authorize(t.db, { email: "dora@example.com", password: "wrong-pass" }));
    await authorize(t.db, { email: "dora@example.com", password: TEST_PASSWORD });
    const row = await t.db.user.findUniqueOrThrow({
      where: { id: user.id },
      select: { failedSignIns: true, lockedUntil: true },
    });
    expect(row).toEqual({ failedSignIns: 0, lockedUntil: null });
  });
});

describe("clientIpFromHeaders", () => {
  it("ignores forwarding headers unless TRUST_PROXY is on", () => {
    const headers = new Headers({ "x-forwarded-for": "203.0.113.7, 10.0.0.1" });
    expect(clientIpFromHeaders(headers, false)).toBeNull();
    expect(clientIpFromHeaders(headers, true)).toBe("203.0.113.7");
    expect(clientIpFromHeaders({ "x-real-ip": "2001:db8::1" }, true)).toBe("2001:db8::1");
    expect(clientIpFromHeaders({ "x-forwarded-for": "not-an-ip" }, true)).toBeNull();
  });

  it("is off by default", () => {
    expect(loadEnvDefaultTrustProxy()).toBe(false);
  });
});
