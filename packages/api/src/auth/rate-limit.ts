import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { LOCK_CLASS, oneAtATime } from "@studio/db/locks";
import type { Db } from "../db";
import { env } from "../env";

export interface RateLimitRule {
  /** Most hits allowed inside the window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Milliseconds until one more hit would be allowed (0 when allowed). */
  retryAfterMs: number;
  remaining: number;
}

/**
 * Sliding-window limit kept in the store, so every web process sees the same counts.
 * Records the hit only when it is allowed, so a client hammering a closed door does not
 * keep it closed forever.
 *
 * Counting and recording are one INSERT ... SELECT whose WHERE counts the window, run one at a
 * time per bucket (oneAtATime: SQLite's single write lock, a PostgreSQL advisory lock on the
 * bucket, since there two inserts do not see each other's uncommitted row), so a burst of
 * concurrent requests (in one process or many) gets exactly `limit` hits through. The
 * follow-up reads only fill in the advisory numbers.
 */
export async function hitRateLimit(
  db: Db,
  bucket: string,
  rule: RateLimitRule,
  now = new Date(),
): Promise<RateLimitResult> {
  const since = new Date(now.getTime() - rule.windowMs);
  const lock = { class: LOCK_CLASS.rateLimitBucket, key: bucket };
  const inserted = await oneAtATime(
    db,
    [lock],
    (db) => db.$queryRaw<{ id: string }[]>`
    INSERT INTO "RateLimitHit" ("id", "bucket", "createdAt")
    SELECT ${randomUUID()}, ${bucket}, ${now}
    WHERE (
      SELECT COUNT(*) FROM "RateLimitHit" WHERE "bucket" = ${bucket} AND "createdAt" > ${since}
    ) < ${rule.limit}
    RETURNING "id"`,
  );
  if (inserted.length === 0) {
    const oldest = await db.rateLimitHit.findFirst({
      where: { bucket, createdAt: { gt: since } },
      orderBy: { createdAt: "asc" },
      select: { createdAt: true },
    });
    return {
      allowed: false,
      retryAfterMs: Math.max(
        0,
        (oldest?.createdAt ?? now).getTime() + rule.windowMs - now.getTime(),
      ),
      remaining: 0,
    };
  }
  // Old hits are only history; trim them now and then instead of in a separate job.
  if (Math.random() < 0.01) await pruneRateLimitHits(db, 24 * 3600_000, now);
  const used = await countHits(db, bucket, rule.windowMs, now);
  return { allowed: true, retryAfterMs: 0, remaining: Math.max(0, rule.limit - used) };
}

/** Records a hit without checking; used to count failures. */
export async function recordHit(db: Db, bucket: string, now = new Date()) {
  await db.rateLimitHit.create({ data: { bucket, createdAt: now }, select: { id: true } });
}

export async function countHits(db: Db, bucket: string, windowMs: number, now = new Date()) {
  return db.rateLimitHit.count({
    where: { bucket, createdAt: { gt: new Date(now.getTime() - windowMs) } },
  });
}

export async function lastHit(db: Db, bucket: string) {
  const row = await db.rateLimitHit.findFirst({
    where: { bucket },
    orderBy: { createdAt: "desc" },
    select: { createdAt: true },
  });
  return row?.createdAt ?? null;
}

/** Deletes hits older than the longest window anyone uses; called by the cleanup job. */
export async function pruneRateLimitHits(db: Db, olderThanMs = 24 * 3600_000, now = new Date()) {
  const { count } = await db.rateLimitHit.deleteMany({
    where: { createdAt: { lt: new Date(now.getTime() - olderThanMs) } },
  });
  return count;
}

type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, unknown>
  | undefined
  | null;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof headers.get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const value = (headers as Record<string, unknown>)[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : undefined;
}

/**
 * Set by our own servers (apps/web/server.mjs, serveNode in http/handler.ts) to the socket's
 * remote address, after deleting whatever the client sent under that name, so it cannot be
 * forged. Route handlers in Next.js do not see the socket; this header is how they learn it.
 */
export const CLIENT_ADDRESS_HEADER = "x-studio-client-address";

/**
 * The client address for per-address limits. Behind a reverse proxy (TRUST_PROXY on) the
 * socket belongs to the proxy, so the first X-Forwarded-For address (else X-Real-IP) is the
 * client; those headers are whatever the client sent unless a proxy overwrites them, so
 * without TRUST_PROXY only the socket address our server put in CLIENT_ADDRESS_HEADER counts.
 * Values that are not IPs are ignored; IPv4-mapped IPv6 addresses are given as IPv4.
 */
export function clientIpFromHeaders(
  headers: HeaderSource,
  trustProxy: boolean = env().TRUST_PROXY,
): string | null {
  const candidates = trustProxy
    ? [
        header(headers, "x-forwarded-for")?.split(",")[0],
        header(headers, "x-real-ip"),
        header(headers, CLIENT_ADDRESS_HEADER),
      ]
    : [header(headers, CLIENT_ADDRESS_HEADER)];
  const candidate = candidates.map((value) => value?.trim()).find((value) => value);
  if (!candidate || !isIP(candidate)) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(candidate);
  return mapped?.[1] ?? candidate;
}

/**
 * The key per-address limits count under: an IPv4 address as is, an IPv6 address by its /64
 * prefix, because one subscriber usually holds a whole /64 and could otherwise take a fresh
 * address for every guess.
 */
export function addressKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // An embedded IPv4 tail (::1.2.3.4) is two groups, but it lies in the low 64 bits anyway.
  const missing = 8 - left.length - right.length;
  const groups = ip.includes("::")
    ? [...left, ...Array(Math.max(0, missing)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * At most `size` calls of `run` at a time; the others wait in order. Caps work that costs a
 * lot of memory or CPU per call (password hashes, image checks) under a burst of requests.
 */
export function createSemaphore(size: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return {
    get running() {
      return running;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
      else running++;
      try {
        return await task();
      } finally {
        // The slot passes straight to the next waiter, so `running` stays accurate.
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
  };
}
