import { randomUUID } from "node:crypto";
import { LOCK_CLASS, oneAtATime } from "@studio/db/locks";
import { claimTeamInvitations } from "@studio/db/users";
import { z } from "zod";
import { type Db, Prisma } from "../db";
import { dummyHash, MAX_PASSWORD_LENGTH, verifyPassword } from "./password";
import { addressKey } from "./rate-limit";

/**
 * Sign-in throttling (OWASP Authentication cheat sheet: no lock-out an attacker can use
 * against the owner). Failures are remembered for FAILURE_WINDOW_MS and counted per
 * (email, address):
 * - an address may fail FREE_FAILURES times against one email, then waits BACKOFF_BASE_MS
 *   after its last failure, doubling per further failure, at most BACKOFF_MAX_MS;
 * - when failures against one email from all addresses exceed ACCOUNT_FREE_FAILURES (an attack
 *   from many addresses), an address that has failed against it waits as if it had made the
 *   excess itself, so each address of a botnet gets about one guess per email per back-off;
 * - an address with no failure against that email is never delayed by it: the owner signs in
 *   from their own address while an attacker elsewhere is being slowed down;
 * - every address has a budget of ADDRESS_FAILURE_RULE failures across all emails.
 */
export const FAILURE_WINDOW_MS = 24 * 3600_000;
export const FREE_FAILURES = 3;
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 15 * 60_000;
export const ACCOUNT_FREE_FAILURES = 10;
export const ADDRESS_FAILURE_RULE = { limit: 20, windowMs: 15 * 60_000 };

/** The wait after `failures` failures of one address against one email. */
export function backoffMs(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(BACKOFF_BASE_MS * 2 ** (failures - FREE_FAILURES), BACKOFF_MAX_MS);
}

/** Failures that count for an address, given its own and the email's total (see above). */
function effectiveFailures(pairFailures: number, accountFailures: number) {
  if (pairFailures === 0) return 0;
  return Math.max(pairFailures, accountFailures - ACCOUNT_FREE_FAILURES);
}

export type SignInErrorCode = "INVALID_CREDENTIALS" | "TOO_MANY_ATTEMPTS";

/** "30 seconds" / "15 minutes": how long a refused client waits, in words. */
export function waitInWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/** The only errors sign-in produces; the message never says whether the email exists. */
export class SignInError extends Error {
  constructor(
    readonly code: SignInErrorCode,
    readonly retryAfterMs = 0,
  ) {
    super(
      code === "INVALID_CREDENTIALS"
        ? "Invalid email or password."
        : `Too many sign-in attempts from this address. Try again in ${waitInWords(retryAfterMs)}.`,
    );
    this.name = "SignInError";
  }
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export const credentialsSchema = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  sessionVersion: number;
}

/**
 * Checks credentials for next-auth's Credentials provider. Unknown email and wrong password
 * both verify a scrypt hash (a dummy one for the unknown email), fail with the same error,
 * and are throttled the same way (the counts are kept per email string, account or not), so
 * neither timing nor responses reveal who has an account. `ip` is the client address
 * (clientIpFromHeaders); without one, every such request shares the address "".
 */
export async function authorize(
  db: Db,
  credentials: unknown,
  options: { ip?: string | null; now?: Date } = {},
): Promise<SignedInUser> {
  const now = options.now ?? new Date();
  const address = options.ip ? addressKey(options.ip) : "";
  const parsed = credentialsSchema.safeParse(credentials);
  // Malformed input (no hash needed) still counts against the address and the email typed.
  const email = parsed.success ? normalizeEmail(parsed.data.email) : typedEmail(credentials);

  // Reserve the attempt before the (slow) hash: concurrent guesses each take a slot
  // atomically, so a burst cannot all pass a read-only check. A refusal depends only on
  // counts kept for every email alike, so it skips the hash without revealing anything.
  const refusedFor = await reserveAttempt(db, email, address, now);
  if (refusedFor !== null) throw new SignInError("TOO_MANY_ATTEMPTS", refusedFor);
  if (Math.random() < 0.01) await pruneSignInAttempts(db, now);
  if (!parsed.success) throw new SignInError("INVALID_CREDENTIALS");

  const user = await db.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, passwordHash: true, sessionVersion: true },
  });
  const ok = await verifyPassword(parsed.data.password, user?.passwordHash ?? (await dummyHash()));
  // A failure keeps its reserved row: that row is the record of the failure.
  if (!user || !ok) throw new SignInError("INVALID_CREDENTIALS");

  // This address proved it knows the password: its failures against this email (and the
  // reservation) are forgiven. Other addresses' failures stay.
  await db.signInAttempt.deleteMany({ where: { email, address } });
  // Sign-in is where an existing account takes up the team invitations sent to its email.
  await claimTeamInvitations(db, user.id, user.email, now);
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}

function typedEmail(credentials: unknown): string {
  const email = (credentials as { email?: unknown } | null)?.email;
  return typeof email === "string" ? normalizeEmail(email).slice(0, 320) : "";
}

/**
 * Inserts this attempt's row only when the rules above allow it, as one INSERT ... SELECT run
 * one at a time per email and per address (oneAtATime: SQLite's single write lock, PostgreSQL
 * advisory locks on both), so concurrent attempts in any number of processes see each other's
 * rows. Returns null when reserved, else how long to wait.
 */
async function reserveAttempt(
  db: Db,
  email: string,
  address: string,
  now: Date,
): Promise<number | null> {
  const since = new Date(now.getTime() - FAILURE_WINDOW_MS);
  const addressSince = new Date(now.getTime() - ADDRESS_FAILURE_RULE.windowMs);
  // The wait grows with the effective count; the CASE checks the last failure against the
  // latest time that has waited long enough by `now` for that count. (Each branch compares with
  // "last" itself, so PostgreSQL can type the parameter as a timestamp.)
  const steps: Prisma.Sql[] = [];
  for (let n = FREE_FAILURES; backoffMs(n) < BACKOFF_MAX_MS; n++) {
    steps.push(
      Prisma.sql`WHEN ${n} THEN "effective"."last" <= ${new Date(now.getTime() - backoffMs(n))}`,
    );
  }
  const addressBudget = address
    ? Prisma.sql`AND "origin"."n" < ${ADDRESS_FAILURE_RULE.limit}`
    : Prisma.empty;
  const locks = [
    { class: LOCK_CLASS.signInEmail, key: email },
    { class: LOCK_CLASS.signInAddress, key: address },
  ];
  const inserted = await oneAtATime(
    db,
    locks,
    (db) => db.$queryRaw<{ id: string }[]>`
    WITH "pair" AS (
      SELECT COUNT(*) AS "n", MAX("createdAt") AS "last" FROM "SignInAttempt"
      WHERE "email" = ${email} AND "address" = ${address} AND "createdAt" > ${since}
    ), "account" AS (
      SELECT COUNT(*) AS "n" FROM "SignInAttempt"
      WHERE "email" = ${email} AND "createdAt" > ${since}
    ), "origin" AS (
      SELECT COUNT(*) AS "n" FROM "SignInAttempt"
      WHERE "address" = ${address} AND "createdAt" > ${addressSince}
    ), "effective" AS (
      SELECT "pair"."last" AS "last", CASE
        WHEN "pair"."n" = 0 THEN 0
        WHEN "pair"."n" >= "account"."n" - ${ACCOUNT_FREE_FAILURES} THEN "pair"."n"
        ELSE "account"."n" - ${ACCOUNT_FREE_FAILURES} END AS "n"
      FROM "pair", "account"
    )
    INSERT INTO "SignInAttempt" ("id", "email", "address", "createdAt")
    SELECT ${randomUUID()}, ${email}, ${address}, ${now} FROM "effective", "origin"
    WHERE ("effective"."n" < ${FREE_FAILURES}
      OR CASE "effective"."n" ${Prisma.join(steps, " ")}
        ELSE "effective"."last" <= ${new Date(now.getTime() - BACKOFF_MAX_MS)} END)
      ${addressBudget}
    RETURNING "id"`,
  );
  if (inserted.length > 0) return null;
  return retryAfterMs(db, email, address, now);
}

/** How long until reserveAttempt would let this email and address through (advisory). */
async function retryAfterMs(db: Db, email: string, address: string, now: Date) {
  const since = new Date(now.getTime() - FAILURE_WINDOW_MS);
  const [pair, accountFailures, origin] = await Promise.all([
    db.signInAttempt.aggregate({
      where: { email, address, createdAt: { gt: since } },
      _count: { _all: true },
      _max: { createdAt: true },
    }),
    db.signInAttempt.count({ where: { email, createdAt: { gt: since } } }),
    address
      ? db.signInAttempt.findMany({
          where: {
            address,
            createdAt: { gt: new Date(now.getTime() - ADDRESS_FAILURE_RULE.windowMs) },
          },
          orderBy: { createdAt: "desc" },
          skip: ADDRESS_FAILURE_RULE.limit - 1,
          take: 1,
          select: { createdAt: true },
        })
      : Promise.resolve([]),
  ]);
  const last = pair._max.createdAt?.getTime() ?? now.getTime();
  const pairWait =
    last + backoffMs(effectiveFailures(pair._count._all, accountFailures)) - now.getTime();
  // The address may try again once the oldest of its newest `limit` failures leaves the window.
  const oldest = origin[0]?.createdAt.getTime();
  const addressWait =
    oldest === undefined ? 0 : oldest + ADDRESS_FAILURE_RULE.windowMs - now.getTime();
  // At least a second: a refusal caused by attempts still in flight has no computed wait.
  return Math.max(1000, pairWait, addressWait);
}

/** Forgets attempts older than any rule looks back; run now and then by sign-in itself. */
export async function pruneSignInAttempts(db: Db, now = new Date()) {
  const { count } = await db.signInAttempt.deleteMany({
    where: { createdAt: { lt: new Date(now.getTime() - FAILURE_WINDOW_MS) } },
  });
  return count;
}
