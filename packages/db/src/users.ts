import { randomUUID } from "node:crypto";
import type { Db, DbOrTx } from "./client";

export class EmailTakenError extends Error {
  constructor(email: string) {
    super(`a user with email ${email} already exists`);
    this.name = "EmailTakenError";
  }
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewUser {
  email: string;
  name: string;
  /** Already hashed by the caller (scrypt/argon2id); never the password. */
  passwordHash: string;
}

export interface CreatedUser {
  user: { id: string; email: string; name: string; isSiteAdmin: boolean };
  team: { id: string; name: string };
}

/**
 * Turns the team invitations waiting for this email into memberships of the user. Each row is
 * copied by one INSERT ... SELECT that reads the invitation itself, so an invitation revoked a
 * moment before is not honoured, and ON CONFLICT keeps an existing membership (and its role)
 * when two requests claim at once. Returns how many invitations were taken.
 */
export async function claimTeamInvitations(
  db: DbOrTx,
  userId: string,
  email: string,
  now = new Date(),
): Promise<number> {
  const pending = await db.teamInvitation.findMany({
    where: { email: normaliseEmail(email) },
    select: { id: true },
  });
  for (const { id } of pending) {
    await db.$executeRaw`
      INSERT INTO "Membership" ("id", "userId", "teamId", "role", "createdAt")
      SELECT ${randomUUID()}, ${userId}, "teamId", "role", ${now}
      FROM "TeamInvitation" WHERE "id" = ${id}
      ON CONFLICT ("userId", "teamId") DO NOTHING`;
    await db.teamInvitation.deleteMany({ where: { id } });
  }
  return pending.length;
}

/**
 * Creates the user, their personal team and their ADMIN membership in one transaction, and
 * takes up the team invitations waiting for the email in the same transaction. The
 * first user of the store becomes site admin: decided by inserting the single SiteState row
 * (id 1) with ON CONFLICT DO NOTHING, which exactly one transaction can win on SQLite and on
 * PostgreSQL alike, even when two people register at the same moment.
 */
export async function createUserWithPersonalTeam(db: Db, input: NewUser): Promise<CreatedUser> {
  const email = normaliseEmail(input.email);
  const name = input.name.trim() || email;
  const now = new Date();
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { email, name, passwordHash: input.passwordHash, createdAt: now },
        select: { id: true },
      });
      // The NOT EXISTS keeps a store that already had users (from before SiteState) from
      // promoting a later one.
      const won = await tx.$executeRaw`
        INSERT INTO "SiteState" ("id", "firstUserId", "createdAt")
        SELECT 1, ${user.id}, ${now}
        WHERE NOT EXISTS (SELECT 1 FROM "User" WHERE "id" <> ${user.id})
        ON CONFLICT ("id") DO NOTHING`;
      const isSiteAdmin = won > 0;
      const team = await tx.team.create({
        data: {
          name: `${name} (personal)`,
          isPersonal: true,
          createdAt: now,
          memberships: { create: { userId: user.id, role: "ADMIN", createdAt: now } },
        },
        select: { id: true, name: true },
      });
      if (isSiteAdmin)
        await tx.user.update({
          where: { id: user.id },
          data: { isSiteAdmin },
          select: { id: true },
        });
      await claimTeamInvitations(tx, user.id, email, now);
      return { user: { id: user.id, email, name, isSiteAdmin }, team };
    });
  } catch (error) {
    if (
      typeof error === "object" &&
      error !== null &&
      (error as { code?: unknown }).code === "P2002"
    ) {
      throw new EmailTakenError(email);
    }
    throw error;
  }
}
