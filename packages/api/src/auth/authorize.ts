import { z } from "zod";
import type { Db } from "../db";
import { dummyHash, MAX_PASSWORD_LENGTH, verifyPassword } from "./password";
import { countHits, hitRateLimit, lastHit, recordHit } from "./rate-limit";

/** Failures in a row before an account is locked, and how long each lock lasts. */
export const MAX_FAILED_SIGN_INS = 5;
export const LOCK_MS = 15 * 60_000;
/** Sign-in attempts per client address, whatever the account. */
export const IP_SIGN_IN_RULE = { limit: 30, windowMs: 10 * 60_000 };
/** How long failures against an unknown email are remembered. */
const UNKNOWN_EMAIL_MEMORY_MS = 24 * 3600_000;

export type SignInErrorCode = "INVALID_CREDENTIALS" | "TOO_MANY_ATTEMPTS";

/** The only errors sign-in produces; the message never says whether the email exists. */
export class SignInError extends Error {
  constructor(
    readonly code: SignInErrorCode,
    readonly retryAfterMs = 0,
  ) {
    super(
      code === "INVALID_CREDENTIALS"
        ? "Invalid email or password."
        : "Too many sign-in attempts. Try again later.",
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

const failBucket = (email: string) => `signin-fail:${email}`;

/**
 * Checks credentials for next-auth's Credentials provider. Unknown email and wrong password
 * both verify a scrypt hash (a dummy one for the unknown email), fail with the same error,
 * and are throttled the same way, so neither timing nor responses reveal who has an account.
 */
export async function authorize(
  db: Db,
  credentials: unknown,
  options: { ip?: string | null; now?: Date } = {},
): Promise<SignedInUser> {
  const now = options.now ?? new Date();
  if (options.ip) {
    const limit = await hitRateLimit(db, `signin-ip:${options.ip}`, IP_SIGN_IN_RULE, now);
    if (!limit.allowed) throw new SignInError("TOO_MANY_ATTEMPTS", limit.retryAfterMs);
  }
  // Malformed input says nothing about any account, so it need not pay for a hash.
  const parsed = credentialsSchema.safeParse(credentials);
  if (!parsed.success) throw new SignInError("INVALID_CREDENTIALS");
  const email = normalizeEmail(parsed.data.email);
  const { password } = parsed.data;

  const user = await db.user.findUnique({
    where: { email },
    select: {
      id: true,
      email: true,
      name: true,
      passwordHash: true,
      sessionVersion: true,
      failedSignIns: true,
      lockedUntil: true,
    },
  });

  const lockedFor = user
    ? user.lockedUntil && user.lockedUntil > now
      ? user.lockedUntil.getTime() - now.getTime()
      : 0
    : await unknownEmailLock(db, email, now);
  if (lockedFor > 0) {
    await verifyPassword(password, await dummyHash());
    throw new SignInError("TOO_MANY_ATTEMPTS", lockedFor);
  }

  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
  if (!user) {
    await recordHit(db, failBucket(email), now);
    throw new SignInError("INVALID_CREDENTIALS");
  }
  if (!ok) {
    const failed = await db.user.update({
      where: { id: user.id },
      data: { failedSignIns: { increment: 1 } },
      select: { failedSignIns: true },
    });
    if (failed.failedSignIns >= MAX_FAILED_SIGN_INS) {
      await db.user.update({
        where: { id: user.id },
        data: { lockedUntil: new Date(now.getTime() + LOCK_MS) },
        select: { id: true },
      });
    }
    throw new SignInError("INVALID_CREDENTIALS");
  }
  if (user.failedSignIns > 0 || user.lockedUntil) {
    await db.user.update({
      where: { id: user.id },
      data: { failedSignIns: 0, lockedUntil: null },
      select: { id: true },
    });
  }
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}

/** Mirrors the account lock for emails without an account. */
async function unknownEmailLock(db: Db, email: string, now: Date): Promise<number> {
  const failures = await countHits(db, failBucket(email), UNKNOWN_EMAIL_MEMORY_MS, now);
  if (failures < MAX_FAILED_SIGN_INS) return 0;
  const last = await lastHit(db, failBucket(email));
  if (!last) return 0;
  return Math.max(0, last.getTime() + LOCK_MS - now.getTime());
}
