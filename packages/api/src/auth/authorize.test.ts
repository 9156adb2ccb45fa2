import { createDb } from "@studio/db/client";
import { describe, expect, it } from "vitest";
import { env, resetEnvForTests } from "../env";
import { makeUser, TEST_PASSWORD } from "../test-helpers";
import { useTestDb } from "../test-hooks";
import {
  ACCOUNT_FREE_FAILURES,
  ADDRESS_FAILURE_RULE,
  authorize,
  BACKOFF_MAX_MS,
  backoffMs,
  FAILURE_WINDOW_MS,
  FREE_FAILURES,
  SignInError,
} from "./authorize";
import { dummyHash, MAX_CONCURRENT_HASHES, runningHashes, verifyPassword } from "./password";
import { addressKey, CLIENT_ADDRESS_HEADER, clientIpFromHeaders } from "./rate-limit";

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

const t = useTestDb();

/** authorize() on this file's store, from `ip` at `now`. */
const signIn = (email: string, password: string, ip: string | undefined, now: Date) =>
  authorize(t.db, { email, password }, { ip, now });

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SignInError);
  return error as SignInError;
}

/** A clock the test moves by hand: back-off windows pass without waiting. */
function clock(start = "2026-03-01T00:00:00Z") {
  let ms = new Date(start).getTime();
  return {
    now: () => new Date(ms),
    advance: (by: number) => {
      ms += by;
    },
  };
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
    // Each call from its own address, so the back-off of earlier calls stays out of the timing.
    let n = 0;
    const attempt = (email: string) =>
      authorize(t.db, { email, password: "nope-nope" }, { ip: `192.0.2.${++n}` });
    const wrong = await failure(attempt("bob@example.com"));
    const unknown = await failure(attempt("nobody@example.com"));
    expect(unknown.code).toBe(wrong.code);
    expect(unknown.message).toBe(wrong.message);
    expect(wrong.code).toBe("INVALID_CREDENTIALS");
    // Both pay for one scrypt; without the dummy hash the unknown email would cost ~0 ms.
    // Timed as this process's CPU time (scrypt runs on its thread pool), which other processes
    // on a busy machine do not stretch as they stretch wall time; medians of alternating runs.
    const cpuMs = async (work: () => Promise<unknown>) => {
      const before = process.cpuUsage();
      await work().catch(() => {});
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1000;
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 3; i++) {
      a.push(await cpuMs(() => attempt("bob@example.com")));
      b.push(await cpuMs(() => attempt("nobody@example.com")));
    }
    // What one scrypt verification costs, measured the same way.
    const hash = await dummyHash();
    const h: number[] = [];
    for (let i = 0; i < 3; i++) h.push(await cpuMs(() => verifyPassword("nope-nope", hash)));
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[1] as number;
    const [ma, mb, mh] = [median(a), median(b), median(h)];
    expect(Math.min(ma, mb) / Math.max(ma, mb)).toBeGreaterThan(0.3);
    // The unknown email did run scrypt: it takes at least about as long as one verification
    // (a row lookup alone is a small fraction of one).
    expect(mb).toBeGreaterThan(0.5 * mh);
  });

  it("20 wrong passwords from one address never lock the owner out of another address; the attacker's waits grow", async () => {
    const owner = await makeUser(t.db, { email: "admin-owner@example.com" });
    const c = clock();
    const attacker = "203.0.113.66";
    const waits: number[] = [];
    let failures = 0;
    while (failures < 20) {
      const e = await failure(
        authorize(
          t.db,
          { email: "admin-owner@example.com", password: `guess-${failures}` },
          { ip: attacker, now: c.now() },
        ),
      );
      if (e.code === "INVALID_CREDENTIALS") {
        failures++;
        continue;
      }
      expect(e.code).toBe("TOO_MANY_ATTEMPTS");
      expect(e.message).toMatch(/Try again in \d+ (second|minute)/);
      // Refused once, the attacker waits exactly as long as it was told, then may guess again.
      waits.push(e.retryAfterMs);
      const early = await failure(
        signIn(
          "admin-owner@example.com",
          TEST_PASSWORD,
          attacker,
          new Date(c.now().getTime() + e.retryAfterMs - 1000),
        ),
      );
      // Even the right password is refused while waiting: back-off cannot be bypassed.
      expect(early.code).toBe("TOO_MANY_ATTEMPTS");
      c.advance(e.retryAfterMs);

      // The owner, from an address with no failures, signs in at once, every time.
      const signedIn = await signIn(
        "Admin-Owner@example.com",
        TEST_PASSWORD,
        "198.51.100.7",
        c.now(),
      );
      expect(signedIn.id).toBe(owner.id);
    }
    // Free tries first, then a wait that doubles per failure up to the cap.
    expect(waits.length).toBe(20 - FREE_FAILURES);
    expect(waits.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
    expect(waits.at(-1)).toBe(BACKOFF_MAX_MS);
  }, 300_000);

  it("answers an unknown email under back-off exactly like an account", async () => {
    await makeUser(t.db, { email: "real@example.com" });
    const now = new Date("2026-03-05T00:00:00Z");
    const run = async (email: string, ip: string) => {
      const codes: string[] = [];
      for (let i = 0; i <= FREE_FAILURES; i++) {
        const e = await failure(authorize(t.db, { email, password: `x-${i}-x` }, { ip, now }));
        codes.push(`${e.code}:${e.retryAfterMs}:${e.message}`);
      }
      return codes;
    };
    const known = await run("real@example.com", "192.0.2.200");
    const unknown = await run("ghost@example.com", "192.0.2.201");
    expect(unknown).toEqual(known);
    expect(known.at(-1)).toMatch(/^TOO_MANY_ATTEMPTS:1000:/);
  });

  it("slows an attack from many addresses down for addresses that failed, not for a clean one", async () => {
    const owner = await makeUser(t.db, { email: "spread@example.com" });
    const c = clock("2026-03-10T00:00:00Z");
    const bots = Array.from({ length: ACCOUNT_FREE_FAILURES + 4 }, (_, i) => `10.20.0.${i + 1}`);
    for (const ip of bots) {
      const e = await failure(signIn("spread@example.com", "bot-guess", ip, c.now()));
      expect(e.code).toBe("INVALID_CREDENTIALS");
    }
    c.advance(1000);
    // One failure each, yet every bot now waits for the account's excess failures (4 -> 2 s
    // after FREE_FAILURES = 3: backoffMs(4)).
    const again = await failure(signIn("spread@example.com", "bot-guess-2", bots[0], c.now()));
    expect(again.code).toBe("TOO_MANY_ATTEMPTS");
    expect(again.retryAfterMs).toBe(backoffMs(4) - 1000);
    const ok = await signIn("spread@example.com", TEST_PASSWORD, "10.99.0.1", c.now());
    expect(ok.id).toBe(owner.id);
  }, 300_000);

  it("limits the failures of one address across emails, using the address alone", async () => {
    await makeUser(t.db, { email: "victim@example.com" });
    const now = new Date("2026-03-20T00:00:00Z");
    for (let i = 0; i < ADDRESS_FAILURE_RULE.limit; i++) {
      // Malformed credentials are cheap (no hash) and still count against the address.
      const e = await failure(
        authorize(t.db, { email: `x${i}@example.com` }, { ip: "10.0.0.9", now }),
      );
      expect(e.code).toBe("INVALID_CREDENTIALS");
    }
    const limited = await failure(signIn("victim@example.com", TEST_PASSWORD, "10.0.0.9", now));
    expect(limited.code).toBe("TOO_MANY_ATTEMPTS");
    expect(limited.retryAfterMs).toBe(ADDRESS_FAILURE_RULE.windowMs);
    // Another address is not affected, and the budget refills as the window passes.
    expect((await signIn("victim@example.com", TEST_PASSWORD, "10.0.0.10", now)).email).toBe(
      "victim@example.com",
    );
    const later = new Date(now.getTime() + ADDRESS_FAILURE_RULE.windowMs + 1);
    expect((await signIn("victim@example.com", TEST_PASSWORD, "10.0.0.9", later)).email).toBe(
      "victim@example.com",
    );
  });

  it("counts an IPv6 /64 as one address", async () => {
    const now = new Date("2026-03-21T00:00:00Z");
    for (let i = 0; i < ADDRESS_FAILURE_RULE.limit; i++) {
      await failure(
        authorize(t.db, { email: `v6-${i}@example.com` }, { ip: `2001:db8:1:2::${i + 1}`, now }),
      );
    }
    const limited = await failure(
      authorize(t.db, { email: "v6@example.com" }, { ip: "2001:db8:1:2:ffff::1", now }),
    );
    expect(limited.code).toBe("TOO_MANY_ATTEMPTS");
    const other = await failure(
      authorize(t.db, { email: "v6@example.com" }, { ip: "2001:db8:1:3::1", now }),
    );
    expect(other.code).toBe("INVALID_CREDENTIALS");
  });

  it("counts concurrent guesses before hashing, so a burst gets only the free tries", async () => {
    await makeUser(t.db, { email: "burst@example.com" });
    const now = new Date("2026-04-01T00:00:00Z");
    let peak = 0;
    const watch = setInterval(() => {
      peak = Math.max(peak, runningHashes());
    }, 5);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        failure(
          authorize(
            t.db,
            { email: "burst@example.com", password: `guess-${i}` },
            { ip: "192.0.2.50", now },
          ),
        ),
      ),
    );
    clearInterval(watch);
    const codes = results.map((e) => e.code);
    expect(codes.filter((c) => c === "INVALID_CREDENTIALS").length).toBe(FREE_FAILURES);
    expect(codes.filter((c) => c === "TOO_MANY_ATTEMPTS").length).toBe(12 - FREE_FAILURES);
    expect(peak).toBeLessThanOrEqual(MAX_CONCURRENT_HASHES);
    // Waiting from this address, even with the right password; not from another.
    const waiting = await failure(signIn("burst@example.com", TEST_PASSWORD, "192.0.2.50", now));
    expect(waiting.code).toBe("TOO_MANY_ATTEMPTS");
    await signIn("burst@example.com", TEST_PASSWORD, "192.0.2.51", now);
  }, 120_000);

  it("lets only the free tries through a burst from several processes' clients on one store", async () => {
    await makeUser(t.db, { email: "many@example.com" });
    const clients = Array.from({ length: 3 }, () => createDb(t.url));
    try {
      const now = new Date("2026-04-02T00:00:00Z");
      const results = await Promise.all(
        clients.flatMap((db) =>
          Array.from({ length: 3 }, (_, i) =>
            failure(
              authorize(
                db,
                { email: "many@example.com", password: `g${i}` },
                { ip: "192.0.2.60", now },
              ),
            ),
          ),
        ),
      );
      expect(results.filter((e) => e.code === "INVALID_CREDENTIALS").length).toBe(FREE_FAILURES);
    } finally {
      await Promise.all(clients.map((db) => db.$disconnect()));
    }
  }, 120_000);

  it("a success forgives that address's failures, and old failures are forgotten", async () => {
    await makeUser(t.db, { email: "dora@example.com" });
    const c = clock("2026-05-01T00:00:00Z");
    const ip = "192.0.2.70";
    for (let i = 0; i < FREE_FAILURES; i++) {
      await failure(signIn("dora@example.com", "wrong-pass", ip, c.now()));
    }
    c.advance(backoffMs(FREE_FAILURES));
    await signIn("dora@example.com", TEST_PASSWORD, ip, c.now());
    expect(await t.db.signInAttempt.count({ where: { email: "dora@example.com" } })).toBe(0);

    for (let i = 0; i < FREE_FAILURES; i++) {
      await failure(signIn("dora@example.com", "wrong-pass", ip, c.now()));
    }
    c.advance(FAILURE_WINDOW_MS + 1);
    for (let i = 0; i < FREE_FAILURES; i++) {
      const e = await failure(signIn("dora@example.com", "wrong-pass", ip, c.now()));
      expect(e.code).toBe("INVALID_CREDENTIALS");
    }
  }, 120_000);
});

describe("clientIpFromHeaders", () => {
  it("uses the socket address our server sets, and forwarding headers only with TRUST_PROXY", () => {
    const headers = new Headers({
      "x-forwarded-for": "203.0.113.7, 10.0.0.1",
      [CLIENT_ADDRESS_HEADER]: "10.0.0.1",
    });
    expect(clientIpFromHeaders(headers, false)).toBe("10.0.0.1");
    expect(clientIpFromHeaders(headers, true)).toBe("203.0.113.7");
    expect(clientIpFromHeaders({ "x-forwarded-for": "203.0.113.7" }, false)).toBeNull();
    expect(clientIpFromHeaders({ "x-real-ip": "2001:db8::1" }, true)).toBe("2001:db8::1");
    expect(clientIpFromHeaders({ [CLIENT_ADDRESS_HEADER]: "127.0.0.1" }, true)).toBe("127.0.0.1");
    expect(clientIpFromHeaders({ "x-forwarded-for": "not-an-ip" }, true)).toBeNull();
    expect(clientIpFromHeaders({ [CLIENT_ADDRESS_HEADER]: "::ffff:192.0.2.9" }, false)).toBe(
      "192.0.2.9",
    );
  });

  it("groups IPv6 by /64 for limits", () => {
    expect(addressKey("192.0.2.9")).toBe("192.0.2.9");
    expect(addressKey("2001:db8:1:2::5")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
  });

  it("is off by default", () => {
    expect(loadEnvDefaultTrustProxy()).toBe(false);
  });
});
