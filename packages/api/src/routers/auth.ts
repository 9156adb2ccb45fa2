import { z } from "zod";
import { getMe, register, registerInput } from "../services/account";
import { protectedProcedure, publicProcedure, router } from "../trpc";
import { teamSummaryOutput, userOutput } from "./schemas";

export const authRouter = router({
  /** Creates the account and its personal team; the browser then signs in through next-auth. */
  register: publicProcedure
    .input(registerInput)
    .output(z.object({ user: userOutput, personalTeamId: z.string() }))
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
