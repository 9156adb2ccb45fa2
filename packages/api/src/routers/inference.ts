import { z } from "zod";
import { preview } from "../services/inference";
import { router, teamProcedure } from "../trpc";
import { id, taskKindSchema } from "./schemas";

const px = z.number().int().min(0).max(1_000_000);

export const inferenceRouter = router({
  /** Runs the pipeline on a crop, synchronously, exactly as the full task would for that region. */
  preview: teamProcedure
    .input(
      z.object({
        weightId: id,
        imageId: id,
        crop: z.object({ x: px, y: px, width: px.min(1), height: px.min(1) }),
        params: z.unknown(),
      }),
    )
    .output(
      z.object({
        taskKind: taskKindSchema,
        pngBase64: z.string(),
        width: z.number().int(),
        height: z.number().int(),
        probabilityPngBase64: z.string().optional(),
        labels: z
          .array(z.object({ label: z.string(), index: z.number().int(), score: z.number() }))
          .optional(),
        paramSignature: z.string(),
        expectedSignature: z.string(),
        weightSha256: z.string(),
        device: z.string(),
        timings: z.record(z.string(), z.number()),
      }),
    )
    .mutation(({ ctx, input, signal }) =>
      preview(ctx.db, ctx.inference, { ...input, teamId: ctx.team.id }, signal),
    ),
});
