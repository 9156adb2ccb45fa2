import { z } from "zod";
import { createApiToken, listApiTokens, revokeApiToken } from "../auth/tokens";
import type { Context } from "../context";
import { forbidden, notFound } from "../errors";
import {
  changePassword,
  getSettings,
  nameSchema,
  passwordSchema,
  settingsPatchSchema,
  settingsSchema,
  updateProfile,
  updateSettings,
} from "../services/account";
import { protectedProcedure, router } from "../trpc";
import { id, okOutput, userOutput } from "./schemas";

const tokenOutput = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  expiresAt: z.date().nullable(),
  createdAt: z.date(),
});

/**
 * A leaked API token must not be able to mint or revoke tokens (persisting itself or
 * locking the owner out): token management needs a signed-in browser session.
 */
function requireSession(ctx: Pick<Context, "via">) {
  if (ctx.via !== "session") {
    throw forbidden("API tokens can only be created or revoked from a signed-in browser session.");
  }
}

const tokensRouter = router({
  /** The returned `token` is shown once; only its sha256 is stored. */
  create: protectedProcedure
    .input(
      z.object({
        name: z.string().trim().min(1).max(100),
        expiresInDays: z.number().int().min(1).max(3650).nullish(),
      }),
    )
    .output(tokenOutput.extend({ token: z.string() }))
    .mutation(({ ctx, input }) => {
      requireSession(ctx);
      return createApiToken(ctx.db, ctx.user.id, {
        name: input.name,
        expiresAt: input.expiresInDays
          ? new Date(Date.now() + input.expiresInDays * 86_400_000)
          : null,
      });
    }),

  list: protectedProcedure
    .input(z.void())
    .output(z.array(tokenOutput))
    .query(({ ctx }) => listApiTokens(ctx.db, ctx.user.id)),

  revoke: protectedProcedure
    .input(z.object({ tokenId: id }))
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      requireSession(ctx);
      if (!(await revokeApiToken(ctx.db, ctx.user.id, input.tokenId)))
        throw notFound("Token not found.");
      return { ok: true as const };
    }),
});

export const accountRouter = router({
  updateProfile: protectedProcedure
    .input(z.object({ name: nameSchema }))
    .output(userOutput)
    .mutation(({ ctx, input }) => updateProfile(ctx.db, ctx.user.id, input)),

  /**
   * Ends every session (this one too) and revokes every API token: the browser signs in
   * again with the new password, and scripts need new tokens.
   */
  changePassword: protectedProcedure
    .input(z.object({ currentPassword: z.string().min(1).max(1024), newPassword: passwordSchema }))
    .output(z.object({ sessionVersion: z.number().int(), revokedTokens: z.number().int() }))
    .mutation(({ ctx, input }) => changePassword(ctx.db, ctx.user.id, input)),

  settings: router({
    get: protectedProcedure
      .input(z.void())
      .output(settingsSchema)
      .query(({ ctx }) => getSettings(ctx.db, ctx.user.id)),
    update: protectedProcedure
      .input(settingsPatchSchema)
      .output(settingsSchema)
      .mutation(({ ctx, input }) => updateSettings(ctx.db, ctx.user.id, input)),
  }),

  tokens: tokensRouter,
});
