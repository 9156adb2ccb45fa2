import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db";
import { cachedAuthLookup, forgetAuth } from "./auth-cache";

export const TOKEN_PREFIX = "vs_";
/** How many leading characters of a token are kept to let a user recognise it. */
const VISIBLE_PREFIX_LENGTH = TOKEN_PREFIX.length + 6;
/** Only touch lastUsedAt when it is older than this, so polling clients do not write per call. */
const LAST_USED_GRANULARITY_MS = 60_000;

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export const apiTokenSelect = {
  id: true,
  name: true,
  prefix: true,
  lastUsedAt: true,
  revokedAt: true,
  expiresAt: true,
  createdAt: true,
} as const;

/** Creates a token and returns its secret; only the sha256 is stored, so this is the one chance. */
export async function createApiToken(
  db: Db,
  userId: string,
  input: { name: string; expiresAt?: Date | null },
) {
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const row = await db.apiToken.create({
    data: {
      userId,
      name: input.name,
      tokenHash: hashToken(secret),
      prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH),
      expiresAt: input.expiresAt ?? null,
    },
    select: apiTokenSelect,
  });
  return { token: secret, ...row };
}

export function listApiTokens(db: Db, userId: string) {
  return db.apiToken.findMany({
    where: { userId },
    orderBy: { createdAt: "desc" },
    select: apiTokenSelect,
  });
}

/** Revokes a token of this user; returns false when there is no such token. */
export async function revokeApiToken(db: Db, userId: string, tokenId: string): Promise<boolean> {
  const result = await db.apiToken.updateMany({
    where: { id: tokenId, userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (result.count > 0) {
    forgetAuth(db);
    return true;
  }
  return (await db.apiToken.count({ where: { id: tokenId, userId } })) > 0;
}

interface VerifiedTokenRow {
  tokenId: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  id: string;
  email: string;
  name: string;
  isSiteAdmin: boolean;
  sessionVersion: number;
}

/**
 * Resolves a bearer token to its user, or null when unknown, revoked or expired: one query on
 * the unique tokenHash index with the user joined in, re-read each time (see
 * verifyApiTokenCached for the API's per-request use).
 */
export async function verifyApiToken(db: Db, token: string, now = new Date()) {
  if (!isTokenShaped(token)) return null;
  return checkTokenRow(db, await readTokenRow(db, hashToken(token)), now);
}

/**
 * verifyApiToken for every API call of a token client (a polling script calls it several times
 * a second): the row comes from the auth cache (auth-cache.ts), so a revoked token, a removed
 * user or a demoted site admin takes effect on the next request in this process and within
 * AUTH_CACHE_TTL_MS in others. Expiry is checked on every call.
 */
export async function verifyApiTokenCached(db: Db, token: string, now = new Date()) {
  if (!isTokenShaped(token)) return null;
  const hash = recentTokenHash(token);
  const row = await cachedAuthLookup(db, "token", hash, async () => {
    const fresh = await readTokenRow(db, hash);
    // A revoked token stays refused; only usable rows are worth keeping.
    return fresh && !fresh.revokedAt ? fresh : null;
  });
  return checkTokenRow(db, row, now);
}

/** Tokens whose hash is remembered (a plain bound: the map starts over when full). */
const TOKEN_HASHES_KEPT = 1_000;
const tokenHashes = new Map<string, string>();

/**
 * The sha256 of a token that polls: hashing is a measurable part of a status poll, and a client
 * sends the same token many times a second. Only the hash decides anything; the map holds
 * tokens this process was sent anyway.
 */
function recentTokenHash(token: string): string {
  let hash = tokenHashes.get(token);
  if (hash === undefined) {
    if (tokenHashes.size >= TOKEN_HASHES_KEPT) tokenHashes.clear();
    hash = hashToken(token);
    tokenHashes.set(token, hash);
  }
  return hash;
}

function isTokenShaped(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX) && token.length <= 200;
}

async function readTokenRow(db: Db, tokenHash: string): Promise<VerifiedTokenRow | null> {
  const [row] = await db.$queryRaw<VerifiedTokenRow[]>`
    SELECT t."id" AS "tokenId", t."revokedAt", t."expiresAt", t."lastUsedAt",
      u."id", u."email", u."name", u."isSiteAdmin", u."sessionVersion"
    FROM "ApiToken" t
    JOIN "User" u ON u."id" = t."userId"
    WHERE t."tokenHash" = ${tokenHash}`;
  return row ?? null;
}

async function checkTokenRow(db: Db, row: VerifiedTokenRow | null, now: Date) {
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    // Set first, so that the polls racing this write (and later cache hits) do not write too.
    row.lastUsedAt = now;
    await db.apiToken.update({
      where: { id: row.tokenId },
      data: { lastUsedAt: now },
      select: { id: true },
    });
  }
  const { tokenId, revokedAt: _r, expiresAt: _e, lastUsedAt: _l, ...user } = row;
  return { userId: user.id, tokenId, user };
}
