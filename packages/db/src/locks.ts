import { type Db, type Prisma, providerOf } from "./client";

/**
 * First key of `pg_advisory_xact_lock(int, int)`: one number per kind of thing locked, so a
 * sign-in email and a rate-limit bucket with the same text never share a lock. Listed in the
 * order callers must take them when they take several (see oneAtATime).
 */
export const LOCK_CLASS = {
  signInEmail: 1,
  signInAddress: 2,
  rateLimitBucket: 3,
} as const;

export interface AdvisoryLock {
  class: (typeof LOCK_CLASS)[keyof typeof LOCK_CLASS];
  key: string;
}

/**
 * Runs one check-and-write statement (an INSERT ... SELECT that counts before it inserts) so that
 * callers holding the same keys run it one after another, in every process:
 * - SQLite already runs each write statement under its single write lock;
 * - PostgreSQL (READ COMMITTED) runs them side by side, each blind to the other's uncommitted
 *   row, so the statement runs in a transaction that first takes a transaction-scoped advisory
 *   lock per key (released at commit). The statement starts after the lock, so its snapshot
 *   includes the rows of whoever held it before.
 * Locks are taken in LOCK_CLASS order, whatever order they are given in, so two callers can
 * never wait for each other in a cycle.
 */
export async function oneAtATime<T>(
  db: Db,
  locks: AdvisoryLock[],
  statement: (db: Db) => Prisma.PrismaPromise<T>,
): Promise<T> {
  if (providerOf(db) !== "postgresql") return statement(db);
  const ordered = [...locks].sort((a, b) => a.class - b.class || a.key.localeCompare(b.key));
  const results = await db.$transaction([
    ...ordered.map(
      (lock) => db.$executeRaw`SELECT pg_advisory_xact_lock(${lock.class}, hashtext(${lock.key}))`,
    ),
    statement(db),
  ]);
  return results.at(-1) as T;
}
