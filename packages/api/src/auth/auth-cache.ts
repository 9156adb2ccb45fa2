// A short-lived cache of what every API request looks up before it does anything: the bearer
// token (with its user), the user row behind a session, and the caller's membership of the team.
// A status poll is one small SELECT; without this each poll paid two or three more queries for
// answers that almost never change.
//
// Freshness, the contract the API documents:
// - In this process a change takes effect on the next request: the services that change what
//   is cached (revoking a token, a password or profile change, a role change, a removal) call
//   forgetAuth(db), which drops the cache of that store, and a lookup that was already reading
//   when the change landed does not put its (possibly older) answer into the cache.
// - Other processes (more web servers, a Next.js page render, a script) keep an answer for at most
//   AUTH_CACHE_TTL_MS, counted from when its read began, so a change made elsewhere is seen within
//   that time.
// Only positive answers are kept: an unknown token or a missing membership is read again, so a new
// member or a new token works at once. Hand-written (an LRU library would not give the
// read-began-before-invalidation rule, which is the part that matters).
import type { Db } from "../db";

/** The longest another process's change can go unseen here. */
export const AUTH_CACHE_TTL_MS = 1000;
/** Entries per kind and store: one per active token, user or (user, team) pair. */
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  value: T;
  /** When the read that produced it began (performance.now()). */
  readAt: number;
}

class Shelf<T> {
  private readonly entries = new Map<string, Entry<T>>();

  get(key: string, now: number): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.readAt >= AUTH_CACHE_TTL_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, readAt: number) {
    if (this.entries.size >= MAX_ENTRIES) {
      // Oldest insertion first; expired entries are the likely ones anyway.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, readAt });
  }

  clear() {
    this.entries.clear();
  }
}

class AuthCache {
  /** Bumped by every forget: a read that began under an older generation is not kept. */
  generation = 0;
  readonly shelves = new Map<string, Shelf<unknown>>();

  shelf<T>(kind: string): Shelf<T> {
    let shelf = this.shelves.get(kind);
    if (!shelf) {
      shelf = new Shelf<unknown>();
      this.shelves.set(kind, shelf);
    }
    return shelf as Shelf<T>;
  }

  forget() {
    this.generation++;
    for (const shelf of this.shelves.values()) shelf.clear();
  }
}

const realClock = () => performance.now();
let clock = realClock;

/**
 * Replaces the cache's clock (ms) for a test, which then moves time by hand instead of waiting
 * for the TTL; null restores the real one.
 */
export function setAuthCacheClockForTests(now: (() => number) | null) {
  clock = now ?? realClock;
}

/** One cache per store client: tests run many stores in one process, production one. */
const caches = new WeakMap<Db, AuthCache>();

function cacheOf(db: Db): AuthCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new AuthCache();
    caches.set(db, cache);
  }
  return cache;
}

/**
 * The cached answer for `key`, or `read()`'s answer (kept when it is not null and nothing was
 * forgotten while it was being read).
 */
export async function cachedAuthLookup<T>(
  db: Db,
  kind: "token" | "user" | "membership",
  key: string,
  read: () => Promise<T | null>,
): Promise<T | null> {
  const cache = cacheOf(db);
  const shelf = cache.shelf<T>(kind);
  const startedAt = clock();
  const hit = shelf.get(key, startedAt);
  if (hit !== undefined) return hit;
  const generation = cache.generation;
  const value = await read();
  if (value !== null && cache.generation === generation) shelf.set(key, value, startedAt);
  return value;
}

/**
 * Drops every cached token, user and membership of this store, so the change just made counts
 * from the next request on. Call it after the change is committed.
 */
export function forgetAuth(db: Db) {
  caches.get(db)?.forget();
}
