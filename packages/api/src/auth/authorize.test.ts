import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUser, TEST_PASSWORD, testDb } from "../test-helpers";
import { authorize, IP_SIGN_IN_RULE, LOCK_MS, MAX_FAILED_SIGN_INS, SignInError } from "./authorize";

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
});
