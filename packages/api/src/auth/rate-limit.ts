import type { Db } from "../db";

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
 */
export async function hitRateLimit(
  db: Db,
  bucket: string,
  rule: RateLimitRule,
  now = new Date(),
): Promise<RateLimitResult> {
  const since = new Date(now.getTime() - rule.windowMs);
  const recent = await db.rateLimitHit.findMany({
    where: { bucket, createdAt: { gt: since } },
    orderBy: { createdAt: "asc" },
    select: { createdAt: true },
    take: rule.limit,
  });
  if (recent.length >= rule.limit) {
    const oldest = recent[0]?.createdAt ?? now;
    return {
      allowed: false,
      retryAfterMs: Math.max(0, oldest.getTime() + rule.windowMs - now.getTime()),
      remaining: 0,
    };
  }
  await db.rateLimitHit.create({ data: { bucket, createdAt: now }, select: { id: true } });
  // Old hits are only history; trim them now and then instead of in a separate job.
  if (Math.random() < 0.01) await pruneRateLimitHits(db, 24 * 3600_000, now);
  return { allowed: true, retryAfterMs: 0, remaining: rule.limit - recent.length - 1 };
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
