import { z } from "zod";
import { getMe, register, registerInput } from "../services/account";
import { protectedProcedure, publicProcedure, router } from "../trpc";
import { okOutput, teamSummaryOutput, userOutput } from "./schemas";

export const authRouter = router({
  /**
   * Creates the account and its personal team; the browser then signs in through next-auth.
   * Answers the same for an email that already has an account (which stays unchanged).
   */
  register: publicProcedure
    .input(registerInput)
    .output(okOutput)
    .mutation(({ ctx, input }) => register(ctx.db, input, ctx.clientIp)),

  me: protectedProcedure
    .input(z.void())
    .output(
      userOutput.extend({
        teams: z.array(teamSummaryOutput),
        via: z.enum(["session", "token"]),
      }),
    )
    .query(async ({ ctx }) => ({
      ...(await getMe(ctx.db, ctx.user.id)),
      via: ctx.via ?? "session",
    })),
});
