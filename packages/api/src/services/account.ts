import {
  claimTeamInvitations,
  createUserWithPersonalTeam,
  EmailTakenError,
} from "@studio/db/users";
import { z } from "zod";
import { forgetAuth } from "../auth/auth-cache";
import { normalizeEmail, waitInWords } from "../auth/authorize";
import {
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from "../auth/password";
import { addressKey, hitRateLimit } from "../auth/rate-limit";
import type { Db } from "../db";
import { env } from "../env";
import { badRequest, notFound, tooManyRequests } from "../errors";

export const emailSchema = z.email().max(320).transform(normalizeEmail);
export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH);
export const nameSchema = z.string().trim().min(1).max(100);

export const registerInput = z.object({
  email: emailSchema,
  name: nameSchema,
  password: passwordSchema,
});

/** Registrations per client address per hour (REGISTRATIONS_PER_HOUR). */
const registerRule = () => ({ limit: env().REGISTRATIONS_PER_HOUR, windowMs: 3600_000 });

export const userSelect = {
  id: true,
  email: true,
  name: true,
  isSiteAdmin: true,
  createdAt: true,
} as const;

/**
 * Creates the account, its personal team and the memberships of invitations waiting for the
 * email. An email that already has an account gets the very same answer, after the same scrypt
 * work, and nothing changes: registration must not tell anyone which emails have accounts
 * (OWASP). The browser then signs in with the same email and password; that succeeds for the
 * owner of an existing account too, and the sign-in page explains what to do otherwise.
 */
export async function register(
  db: Db,
  input: z.output<typeof registerInput>,
  clientIp: string | null,
): Promise<{ ok: true }> {
  if (clientIp) {
    const limit = await hitRateLimit(db, `register-ip:${addressKey(clientIp)}`, registerRule());
    if (!limit.allowed) {
      throw tooManyRequests(
        `Too many registrations from this address. Try again in ${waitInWords(limit.retryAfterMs)}.`,
      );
    }
  }
  const passwordHash = await hashPassword(input.password);
  // The insert decides, so two registrations racing for one email also answer alike.
  await createUserWithPersonalTeam(db, {
    email: input.email,
    name: input.name,
    passwordHash,
  }).catch((error: unknown) => {
    if (!(error instanceof EmailTakenError)) throw error;
  });
  return { ok: true };
}

export async function getMe(db: Db, userId: string) {
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, select: userSelect });
  // An account invited while signed in joins on its next visit (the app reads `me` on every
  // page), without waiting for the next sign-in.
  await claimTeamInvitations(db, user.id, user.email);
  const memberships = await db.membership.findMany({
    where: { userId },
    orderBy: [{ team: { isPersonal: "desc" } }, { createdAt: "asc" }],
    select: { role: true, team: { select: { id: true, name: true, isPersonal: true } } },
  });
  return {
    ...user,
    teams: memberships.map((m) => ({ ...m.team, role: m.role as "ADMIN" | "MEMBER" })),
  };
}

export async function updateProfile(db: Db, userId: string, input: { name: string }) {
  const user = await db.user.update({
    where: { id: userId },
    data: { name: input.name },
    select: userSelect,
  });
  forgetAuth(db);
  return user;
}

/**
 * Requires the current password. Bumps sessionVersion so every session issued before (this
 * one included) stops working, and revokes all of the user's API tokens.
 */
export async function changePassword(
  db: Db,
  userId: string,
  input: { currentPassword: string; newPassword: string },
) {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { passwordHash: true },
  });
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw badRequest("The current password is wrong.");
  }
  if (input.currentPassword === input.newPassword) {
    throw badRequest("The new password must differ from the current one.");
  }
  const passwordHash = await hashPassword(input.newPassword);
  const now = new Date();
  // A password change is how a user recovers from a leak, so tokens die with the old password.
  const [updated, revoked] = await db.$transaction([
    db.user.update({
      where: { id: userId },
      data: {
        passwordHash,
        sessionVersion: { increment: 1 },
      },
      select: { sessionVersion: true },
    }),
    db.apiToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } }),
  ]);
  forgetAuth(db);
  return { sessionVersion: updated.sessionVersion, revokedTokens: revoked.count };
}

export const settingsSchema = z.object({
  locale: z.enum(["en", "zh"]).default("en"),
  theme: z.enum(["system", "light", "dark"]).default("system"),
  /** Team the UI opens on. */
  defaultTeamId: z.string().max(64).nullable().default(null),
  /** Preset name per task kind, preselected in the task form. */
  defaultPresets: z.record(z.string().max(64), z.string().max(100)).default({}),
  /** Show the raw model output next to the tuned result. */
  showRawOutput: z.boolean().default(false),
});
export type Settings = z.output<typeof settingsSchema>;
export const settingsPatchSchema = settingsSchema.partial();

function parseSettings(json: string): Settings {
  let raw: unknown = {};
  try {
    raw = JSON.parse(json);
  } catch {
    raw = {};
  }
  const parsed = settingsSchema.safeParse(raw);
  // A stored value from an older schema should not lock anyone out of their settings.
  return parsed.success ? parsed.data : settingsSchema.parse({});
}

export async function getSettings(db: Db, userId: string): Promise<Settings> {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { settings: true },
  });
  return parseSettings(user.settings);
}

export async function updateSettings(
  db: Db,
  userId: string,
  patch: z.output<typeof settingsPatchSchema>,
): Promise<Settings> {
  if (patch.defaultTeamId) {
    const member = await db.membership.findUnique({
      where: { userId_teamId: { userId, teamId: patch.defaultTeamId } },
      select: { id: true },
    });
    if (!member) throw notFound("Team not found.");
  }
  const current = await getSettings(db, userId);
  const next = settingsSchema.parse({ ...current, ...patch });
  await db.user.update({
    where: { id: userId },
    data: { settings: JSON.stringify(next) },
    select: { id: true },
  });
  return next;
}
