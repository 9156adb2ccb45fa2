import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db";

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
  if (result.count > 0) return true;
  return (await db.apiToken.count({ where: { id: tokenId, userId } })) > 0;
}

/** Resolves a bearer token to its user id, or null when unknown, revoked or expired. */
export async function verifyApiToken(db: Db, token: string, now = new Date()) {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const row = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      userId: true,
      revokedAt: true,
      expiresAt: true,
      lastUsedAt: true,
      user: {
        select: { id: true, email: true, name: true, isSiteAdmin: true, sessionVersion: true },
      },
    },
  });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    await db.apiToken.update({
      where: { id: row.id },
      data: { lastUsedAt: now },
      select: { id: true },
    });
  }
  return { userId: row.userId, tokenId: row.id, user: row.user };
}
