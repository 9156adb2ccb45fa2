import { z } from "zod";
import {
  addImagesToDataset,
  createDataset,
  datasetStats,
  deleteDataset,
  getDataset,
  listDatasetImages,
  listDatasets,
  removeImagesFromDataset,
  updateDataset,
} from "../services/datasets";
import { router, teamProcedure } from "../trpc";
import { actorOutput, id, jsonRecord, pageInput, pageOutput, storedDatasetLayout } from "./schemas";

const datasetOutput = z.object({
  id: z.string(),
  teamId: z.string(),
  name: z.string(),
  description: z.string(),
  layout: storedDatasetLayout,
  layoutReport: jsonRecord,
  imageCount: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
  createdBy: actorOutput,
});
const name = z.string().trim().min(1).max(200);
const description = z.string().max(2000);
const stat = z.object({ min: z.number(), max: z.number(), mean: z.number() }).nullable();
const counts = z.record(z.string(), z.number().int());

export const datasetsRouter = router({
  create: teamProcedure
    .input(z.object({ name, description: description.optional() }))
    .output(datasetOutput)
    .mutation(({ ctx, input }) =>
      createDataset(ctx.db, { ...input, teamId: ctx.team.id, userId: ctx.user.id }),
    ),

  list: teamProcedure
    .input(pageInput.extend({ search: z.string().trim().max(200).nullish() }))
    .output(pageOutput(datasetOutput))
    .query(({ ctx, input }) => listDatasets(ctx.db, ctx.team.id, input)),

  get: teamProcedure
    .input(z.object({ datasetId: id }))
    .output(datasetOutput)
    .query(({ ctx, input }) => getDataset(ctx.db, ctx.team.id, input.datasetId)),

  update: teamProcedure
    .input(z.object({ datasetId: id, name: name.optional(), description: description.optional() }))
    .output(datasetOutput)
    .mutation(({ ctx, input }) =>
      updateDataset(ctx.db, ctx.team.id, input.datasetId, {
        name: input.name,
        description: input.description,
      }),
    ),

  addImages: teamProcedure
    .input(z.object({ datasetId: id, imageIds: z.array(id).min(1).max(1000) }))
    .output(z.object({ added: z.number().int() }))
    .mutation(({ ctx, input }) =>
      addImagesToDataset(ctx.db, ctx.team.id, input.datasetId, input.imageIds),
    ),

  /**
   * Takes images out of the dataset (its path, label and boxes for them); the images stay in
   * the library and other datasets, and results that used them stay.
   */
  removeImages: teamProcedure
    .input(z.object({ datasetId: id, imageIds: z.array(id).min(1).max(1000) }))
    .output(z.object({ removed: z.number().int(), imageCount: z.number().int() }))
    .mutation(({ ctx, input }) =>
      removeImagesFromDataset(ctx.db, ctx.team.id, input.datasetId, input.imageIds),
    ),

  /** Gallery page: images in path order with label and boxes (`cursor` = last row's id). */
  images: teamProcedure
    .input(pageInput.extend({ datasetId: id, label: z.string().max(200).nullish() }))
    .output(
      pageOutput(
        z.object({
          id: z.string(),
          relativePath: z.string(),
          label: z.string().nullable(),
          annotations: z.object({ boxes: z.array(z.unknown()).optional() }).nullable(),
          image: z.object({
            id: z.string(),
            originalName: z.string(),
            format: z.string(),
            width: z.number().int(),
            height: z.number().int(),
            sizeBytes: z.number().int(),
          }),
        }),
      ),
    )
    .query(({ ctx, input }) => listDatasetImages(ctx.db, ctx.team.id, input.datasetId, input)),

  stats: teamProcedure
    .input(z.object({ datasetId: id }))
    .output(
      z.object({
        imageCount: z.number().int(),
        totalBytes: z.number(),
        formats: counts,
        channels: counts,
        width: stat,
        height: stat,
        widthBuckets: counts,
        heightBuckets: counts,
        labels: counts,
        unlabeled: z.number().int(),
        boxLabels: counts,
        annotatedImages: z.number().int(),
        classImbalance: z.number().nullable(),
      }),
    )
    .query(({ ctx, input }) => datasetStats(ctx.db, ctx.team.id, input.datasetId)),

  /** With `withImages`, images held by no other dataset go too (files, task items, results). */
  delete: teamProcedure
    .input(z.object({ datasetId: id, withImages: z.boolean().default(true) }))
    .output(z.object({ deleted: z.literal(true), imagesDeleted: z.number().int() }))
    .mutation(({ ctx, input }) =>
      deleteDataset(ctx.db, ctx.team.id, input.datasetId, input.withImages),
    ),
});
