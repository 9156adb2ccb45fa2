import { z } from "zod";
import { deletePreset, listPresets, savePreset } from "../services/presets";
import { router, teamProcedure } from "../trpc";
import { actorOutput, id, jsonRecord, taskKindSchema } from "./schemas";

const presetOutput = z.object({
  id: z.string(),
  taskKind: taskKindSchema,
  name: z.string(),
  params: jsonRecord,
  builtIn: z.boolean(),
  createdAt: z.date().nullable(),
  createdBy: actorOutput.nullable(),
});

export const presetsRouter = router({
  /** Built-in presets first, then the team's saved ones. */
  list: teamProcedure
    .input(z.object({ taskKind: taskKindSchema.nullish() }))
    .output(z.array(presetOutput))
    .query(({ ctx, input }) => listPresets(ctx.db, ctx.team.id, input.taskKind)),

  /** Saves by name (same name overwrites); params are validated for the task kind. */
  save: teamProcedure
    .input(
      z.object({
        taskKind: taskKindSchema,
        name: z.string().trim().min(1).max(100),
        params: z.unknown(),
      }),
    )
    .output(presetOutput)
    .mutation(({ ctx, input }) =>
      savePreset(ctx.db, { ...input, teamId: ctx.team.id, userId: ctx.user.id }),
    ),

  delete: teamProcedure
    .input(z.object({ presetId: id }))
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deletePreset(ctx.db, ctx.team.id, input.presetId)),
});
