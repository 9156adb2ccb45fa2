import { taskStatusSchema } from "@studio/contracts/task";
import { itemScoresOutputSchema, taskScoresSchema } from "@studio/core/metrics";
import { z } from "zod";
import { validatedOnce } from "../immutable-answers";
import { TASK_NAME_LOCALES, taskNameSchema } from "../services/task-names";
import {
  cancelTask,
  createTaskForTeam,
  deleteTask,
  getTask,
  getTaskIfChanged,
  listTasks,
  renameTask,
  retryFailedItems,
  taskReport,
  taskStatus,
  taskStatusSelect,
  taskTargetSchema,
} from "../services/tasks";
import { router, teamProcedure } from "../trpc";
import {
  actorOutput,
  id,
  jsonRecord,
  pageInput,
  storedItemStatus,
  storedSourceFormat,
  storedTaskKind,
  storedTaskStatus,
  taskKindSchema,
} from "./schemas";

const count = z.number().int();

const taskSummary = z.object({
  id: z.string(),
  teamId: z.string(),
  name: z.string(),
  taskKind: storedTaskKind,
  status: storedTaskStatus,
  progress: z.number(),
  itemCount: count,
  itemsDone: count,
  itemsFailed: count,
  attempts: count,
  maxAttempts: count,
  cancelRequested: z.boolean(),
  device: z.string().nullable(),
  error: z.string().nullable(),
  paramSignature: z.string(),
  idempotencyKey: z.string().nullable(),
  weightId: z.string().nullable(),
  weightSha256: z.string(),
  datasetId: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  updatedAt: z.date(),
  createdBy: actorOutput,
  weight: z
    .object({ id: z.string(), name: z.string(), family: z.string(), version: z.string() })
    .nullable(),
});

/**
 * What the worker records with a result (stored as JSON). The fields pages read are typed;
 * others pass through, and a damaged field reads as absent rather than failing the answer.
 */
const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const resultMetaOutput = jsonRecord.pipe(
  z.looseObject({
    width: optional(z.number()),
    height: optional(z.number()),
    threshold: optional(z.number()),
    probabilityPath: optional(z.string()),
    overlayPath: optional(z.string()),
    top: optional(z.array(z.object({ label: z.string(), index: z.number(), score: z.number() }))),
    /** What a classification's scores are: probabilities (softmax / sigmoid) or raw logits. */
    scoreKind: optional(z.enum(["softmax", "sigmoid", "logits"])),
    /** The share of a segmentation mask's pixels that are foreground (0..1). */
    foregroundFraction: optional(z.number()),
    /** Quality scores of this image against its reference (core/metrics records). */
    scores: optional(itemScoresOutputSchema),
    /** Why this image has a reference but no scores, in words. */
    scoresError: optional(z.string()),
  }),
);

const itemOutput = z.object({
  id: z.string(),
  position: z.number().int(),
  status: storedItemStatus,
  progress: z.number(),
  hasResult: z.boolean(),
  resultSha256: z.string().nullable(),
  resultBytes: z.number().int().nullable(),
  resultMeta: resultMetaOutput.nullable(),
  paramSignature: z.string().nullable(),
  device: z.string().nullable(),
  timings: z.record(z.string(), z.number()).nullable(),
  error: z.string().nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  image: z.object({
    id: z.string(),
    originalName: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    sha256: z.string(),
    format: z.string(),
    sizeBytes: z.number().int().optional(),
  }),
});
const taskIdInput = z.object({ taskId: id });
const taskPageInput = taskIdInput.extend({
  itemsCursor: z.number().int().min(0).nullish(),
  itemsLimit: z.number().int().min(1).max(1000).default(200),
});
const taskDetail = taskSummary.extend({
  params: jsonRecord,
  items: z.array(itemOutput),
  nextItemsCursor: z.number().int().nullable(),
  /** The task's quality scores against its dataset's references; null without any. */
  scores: taskScoresSchema.nullable(),
  /** Changes whenever anything in this answer would; what `getIfChanged` takes back. */
  version: z.string(),
});

export const tasksRouter = router({
  /**
   * Queues a task for one image, a selection or a dataset. The same `idempotencyKey` returns
   * the first task (`created: false`). `expectSignature` (from a preview) must match.
   */
  create: teamProcedure
    .input(
      z.object({
        weightId: id,
        target: taskTargetSchema,
        params: z.unknown(),
        idempotencyKey: z.string().min(1).max(128).nullish(),
        expectSignature: z.string().max(128).nullish(),
        /** Left out, "<kind> · <first image> (+N more)" in `locale`'s words (English by default). */
        name: taskNameSchema.nullish(),
        locale: z.enum(TASK_NAME_LOCALES).nullish(),
      }),
    )
    .output(z.object({ id: z.string(), created: z.boolean() }))
    .mutation(({ ctx, input }) =>
      createTaskForTeam(ctx.db, { ...input, teamId: ctx.team.id, userId: ctx.user.id }),
    ),

  list: teamProcedure
    .input(
      pageInput.extend({
        status: z.array(taskStatusSchema).max(6).nullish(),
        taskKind: taskKindSchema.nullish(),
        weightId: id.nullish(),
        from: z.date().nullish(),
        to: z.date().nullish(),
      }),
    )
    .output(z.object({ items: z.array(taskSummary), nextCursor: z.string().nullable() }))
    .query(({ ctx, input }) => listTasks(ctx.db, ctx.team.id, input)),

  /** Task with its items (paged by position), progress, timings, device and errors. */
  get: teamProcedure
    .input(taskPageInput)
    .output(validatedOnce(taskDetail))
    .query(({ ctx, input }) => getTask(ctx.db, ctx.team.id, input.taskId, input)),

  /**
   * `get` for pollers: given the `version` of the answer the caller holds as `ifChanged`, it
   * answers `{ unchanged: true, version }` while that answer is still current (one row read),
   * else the whole answer as `get` does, with `unchanged: false`.
   */
  getIfChanged: teamProcedure
    .input(taskPageInput.extend({ ifChanged: z.string().max(64).nullish() }))
    .output(
      z.discriminatedUnion("unchanged", [
        z.object({ unchanged: z.literal(true), version: z.string() }),
        taskDetail.extend({ unchanged: z.literal(false) }),
      ]),
    )
    .query(({ ctx, input }) => getTaskIfChanged(ctx.db, ctx.team.id, input.taskId, input)),

  /** What a progress bar needs, for fast polling; `get` adds the items. */
  status: teamProcedure
    .input(taskIdInput)
    .output(validatedOnce(taskSummary.pick(taskStatusSelect)))
    .query(({ ctx, input }) => taskStatus(ctx.db, ctx.team.id, input.taskId)),

  /** Any member of the team may rename its tasks (trimmed, 1..120 characters). */
  rename: teamProcedure
    .input(taskIdInput.extend({ name: taskNameSchema }))
    .output(z.object({ id: z.string(), name: z.string() }))
    .mutation(({ ctx, input }) => renameTask(ctx.db, ctx.team.id, input.taskId, input.name)),

  /** A queued task stops at once; a running one stops between tiles. */
  cancel: teamProcedure
    .input(taskIdInput)
    .output(z.object({ result: z.enum(["canceled", "cancel_requested", "already_final"]) }))
    .mutation(async ({ ctx, input }) => {
      const { result } = await cancelTask(ctx.db, ctx.team.id, input.taskId);
      return { result: result as "canceled" | "cancel_requested" | "already_final" };
    }),

  retryFailed: teamProcedure
    .input(taskIdInput)
    .output(z.object({ requeued: count }))
    .mutation(({ ctx, input }) => retryFailedItems(ctx.db, ctx.team.id, input.taskId)),

  delete: teamProcedure
    .input(taskIdInput)
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deleteTask(ctx.db, ctx.team.id, input.taskId)),

  /** Inputs, weight and checksum, parameters and signature, per-item metrics and timings. */
  report: teamProcedure
    .input(taskIdInput)
    .output(
      z.object({
        task: taskSummary.extend({
          params: jsonRecord,
          weight: z
            .object({
              id: z.string(),
              name: z.string(),
              family: z.string(),
              version: z.string(),
              sha256: z.string(),
              isOfficial: z.boolean(),
              sourceFormat: storedSourceFormat,
            })
            .nullable(),
          dataset: z.object({ id: z.string(), name: z.string() }).nullable(),
        }),
        items: z.array(itemOutput),
        scores: taskScoresSchema.nullable(),
        summary: z.object({
          items: count,
          succeeded: count,
          failed: count,
          totalRunMs: z.number(),
          meanRunMs: z.number().nullable(),
          wallMs: z.number().nullable(),
        }),
      }),
    )
    .query(({ ctx, input }) => taskReport(ctx.db, ctx.team.id, input.taskId)),
});
