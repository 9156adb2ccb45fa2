import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { env } from "../env";
import { createSemaphore } from "./rate-limit";

// scrypt cost: N=2^17 (PASSWORD_SCRYPT_LOG_N, default 17), r=8 needs 128 * N * r = 128 MiB,
// above Node's 32 MiB default maxmem. The test suite lowers N (vitest.config.ts): a sign-in test
// hashes dozens of times, and the cost travels with each hash, so verification is unchanged.
const costN = () => 2 ** env().PASSWORD_SCRYPT_LOG_N;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
const SALT_LENGTH = 16;
const MAX_MEM = 256 * 1024 * 1024;

/** Longest password accepted; scrypt cost does not grow with length, but request bodies do. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 8;

/**
 * scrypt takes 128 MiB and ~0.3 s per call: a burst of sign-ins, registrations or password
 * changes must not exhaust memory or the thread pool, so every derivation shares these few
 * slots and the rest wait their turn.
 */
export const MAX_CONCURRENT_HASHES = 2;
const hashSlots = createSemaphore(MAX_CONCURRENT_HASHES);

/** Hashes running now (for tests and metrics). */
export const runningHashes = () => hashSlots.running;

function derive(password: string, salt: Buffer, n: number, r: number, p: number) {
  return hashSlots.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(
          password.normalize("NFKC"),
          salt,
          KEY_LENGTH,
          { N: n, r, p, maxmem: Math.max(MAX_MEM, 256 * n * r) },
          (error, key) => (error ? reject(error) : resolve(key)),
        );
      }),
  );
}

/** Returns `scrypt$N$r$p$<salt b64>$<key b64>`; the parameters travel with the hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const n = costN();
  const key = await derive(password, salt, n, R, P);
  return ["scrypt", n, R, P, salt.toString("base64"), key.toString("base64")].join("$");
}

function parse(stored: string) {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !key) return null;
  const params = [Number(n), Number(r), Number(p)] as const;
  if (!params.every((v) => Number.isInteger(v) && v > 0)) return null;
  // A hash claiming an absurd cost would let a corrupted row stall the server.
  if (params[0] > 2 ** 20 || params[1] > 32 || params[2] > 16) return null;
  return {
    n: params[0],
    r: params[1],
    p: params[2],
    salt: Buffer.from(salt, "base64"),
    key: Buffer.from(key, "base64"),
  };
}

/** Constant-time comparison of the derived key. Malformed hashes verify as false. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || parsed.key.length !== KEY_LENGTH) {
    // Still spend the time so a malformed row is not distinguishable by timing.
    await derive(password, randomBytes(SALT_LENGTH), costN(), R, P);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.n, parsed.r, parsed.p);
  return timingSafeEqual(key, parsed.key);
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password, computed once. Sign-in for an unknown email verifies against
 * it so that unknown email and wrong password cost the same time.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(32).toString("base64"));
  return dummy;
}
