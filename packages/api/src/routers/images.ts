import { z } from "zod";
import { deleteImages, getImage, listImages } from "../services/images";
import { router, teamProcedure } from "../trpc";
import { actorOutput, id, pageInput, pageOutput } from "./schemas";

export const imageOutput = z.object({
  id: z.string(),
  teamId: z.string(),
  originalName: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int(),
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  channels: z.number().int(),
  bitDepth: z.number().int(),
  createdAt: z.date(),
  uploadedBy: actorOutput,
});

/** Uploads go through the file route (see src/files); tRPC carries JSON only. */
export const imagesRouter = router({
  /**
   * Newest first, narrowed by name, dataset and upload time: `from` inclusive, `to` exclusive
   * (the browser sends the start of the user's days, so "today" is the user's today).
   */
  list: teamProcedure
    .input(
      pageInput
        .extend({
          search: z.string().trim().max(200).nullish(),
          datasetId: id.nullish(),
          from: z.date().nullish(),
          to: z.date().nullish(),
        })
        .refine((input) => !input.from || !input.to || input.from < input.to, {
          path: ["to"],
          message:
            "The upload date range is empty: its end must be later than its start (from is inclusive, to is exclusive).",
        }),
    )
    .output(pageOutput(imageOutput))
    .query(({ ctx, input }) => listImages(ctx.db, ctx.team.id, input)),

  get: teamProcedure
    .input(z.object({ imageId: id }))
    .output(imageOutput)
    .query(({ ctx, input }) => getImage(ctx.db, ctx.team.id, input.imageId)),

  /** Removes the files, dataset links, task items and their results; refused while a task runs on them. */
  delete: teamProcedure
    .input(z.object({ imageIds: z.array(id).min(1).max(1000) }))
    .output(z.object({ deleted: z.number().int() }))
    .mutation(({ ctx, input }) => deleteImages(ctx.db, ctx.team.id, input.imageIds)),
});
