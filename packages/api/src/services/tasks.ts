import { createHash } from "node:crypto";
import { type TaskScores, taskScoresSchema } from "@studio/core/metrics";
import { parameterSignature } from "@studio/core/signature";
import { PARAM_SCHEMAS, type TaskKind, withSpecDefaults } from "@studio/core/spec";
import { hotReads } from "@studio/db/hot-reads";
import { createTask, requestCancel } from "@studio/db/queue";
import { z } from "zod";
import type { Db } from "../db";
import { badRequest, conflict, notFound } from "../errors";
import { deleteBlobFoldersQuietly } from "../storage/blobs";
import { resultRenditionsDir } from "../storage/renditions";
import { assertPrecisionOffered } from "./int8";
import { parseJson } from "./json";
import { keptAnswers } from "./kept-answers";
import { checkOutputSize } from "./output-size";
import { defaultTaskName, type TaskNameLocale } from "./task-names";
import { usableWeightWhere } from "./weights";

/** Largest selection one task may hold; a whole dataset is limited the same way. */
export const MAX_TASK_ITEMS = 10_000;

export const taskTargetSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("image"), imageId: z.string().min(1).max(64) }),
  z.object({
    type: z.literal("images"),
    imageIds: z.array(z.string().min(1).max(64)).min(1).max(MAX_TASK_ITEMS),
  }),
  z.object({ type: z.literal("dataset"), datasetId: z.string().min(1).max(64) }),
]);
export type TaskTarget = z.infer<typeof taskTargetSchema>;

export interface CreateTaskArgs {
  teamId: string;
  userId: string;
  weightId: string;
  params: unknown;
  target: TaskTarget;
  idempotencyKey?: string | null;
  /** The signature a preview returned; when given, the task must run with the same settings. */
  expectSignature?: string | null;
  /** Trimmed, 1..120 characters; left out, the task is named from its kind and images. */
  name?: string | null;
  /** Language of the default name's words. */
  locale?: TaskNameLocale | null;
}

/**
 * Parses params with the zod schema of the weight's task kind; what the caller left out comes
 * from the weight's spec (its stored JSON), then from the schema's defaults.
 */
export function validateParams(kind: TaskKind, params: unknown, weightSpec?: string | null) {
  const spec = parseJson<unknown>(weightSpec, null);
  const parsed = PARAM_SCHEMAS[kind].safeParse(withSpecDefaults(kind, params ?? {}, spec) ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`);
    throw badRequest(`Invalid ${kind} parameters: ${issues.join("; ")}`);
  }
  return parsed.data as Record<string, unknown>;
}

async function resolveImages(db: Db, teamId: string, target: TaskTarget) {
  if (target.type === "dataset") {
    const dataset = await db.dataset.findFirst({
      where: { id: target.datasetId, teamId },
      select: { id: true },
    });
    if (!dataset) throw notFound("Dataset not found.");
    const links = await db.datasetImage.findMany({
      where: { datasetId: dataset.id },
      orderBy: { relativePath: "asc" },
      select: { imageId: true },
      take: MAX_TASK_ITEMS + 1,
    });
    if (links.length === 0) throw badRequest("The dataset has no images.");
    if (links.length > MAX_TASK_ITEMS)
      throw badRequest(`A task holds at most ${MAX_TASK_ITEMS} images.`);
    return { imageIds: links.map((l) => l.imageId), datasetId: dataset.id };
  }
  const ids = target.type === "image" ? [target.imageId] : [...new Set(target.imageIds)];
  const found = await db.image.count({ where: { id: { in: ids }, teamId } });
  if (found !== ids.length) throw notFound("Image not found.");
  return { imageIds: ids, datasetId: null };
}

/**
 * Validates and queues a task. With an idempotency key, repeating the call (a retried
 * request, a double click) returns the first task instead of running twice.
 */
export async function createTaskForTeam(db: Db, args: CreateTaskArgs) {
  if (args.idempotencyKey) {
    const existing = await db.task.findUnique({
      where: {
        teamId_idempotencyKey: { teamId: args.teamId, idempotencyKey: args.idempotencyKey },
      },
      select: { id: true },
    });
    if (existing) return { id: existing.id, created: false };
  }
  const weight = await db.weight.findFirst({
    where: { id: args.weightId, ...usableWeightWhere(args.teamId) },
    select: { id: true, taskKind: true, sha256: true, status: true, spec: true, int8: true },
  });
  if (!weight) throw notFound("Weight not found.");
  if (weight.status !== "ready") {
    throw conflict(`The weight is ${weight.status}; only validated weights can run.`);
  }
  const kind = weight.taskKind as TaskKind;
  const params = validateParams(kind, args.params, weight.spec);
  assertPrecisionOffered(kind, params, weight.int8);
  const paramSignature = parameterSignature({ kind, params, weightSha256: weight.sha256 });
  if (args.expectSignature && args.expectSignature !== paramSignature) {
    throw conflict("The parameters differ from the previewed ones (signature mismatch).");
  }
  const { imageIds, datasetId } = await resolveImages(db, args.teamId, args.target);
  if (kind === "super_resolution") await checkOutputSize(db, params, weight.spec, imageIds);
  const name = args.name || (await nameFromImages(db, kind, imageIds, args.locale ?? "en"));
  const task = await createTask(db, {
    teamId: args.teamId,
    createdById: args.userId,
    weightId: weight.id,
    weightSha256: weight.sha256,
    taskKind: kind,
    params,
    paramSignature,
    imageIds,
    datasetId,
    idempotencyKey: args.idempotencyKey ?? null,
    // A repeated idempotent request keeps the first task and its name.
    name,
  });
  return task;
}

async function nameFromImages(
  db: Db,
  kind: TaskKind,
  imageIds: string[],
  locale: TaskNameLocale,
): Promise<string> {
  const first = imageIds[0]
    ? await db.image.findUnique({ where: { id: imageIds[0] }, select: { originalName: true } })
    : null;
  return defaultTaskName(kind, first?.originalName ?? null, imageIds.length, locale);
}

/** Renames a task of the team; any member may, whatever the task's state. */
export async function renameTask(db: Db, teamId: string, taskId: string, name: string) {
  const { count } = await db.task.updateMany({ where: { id: taskId, teamId }, data: { name } });
  if (count === 0) throw notFound("Task not found.");
  return { id: taskId, name };
}

export const taskSummarySelect = {
  id: true,
  teamId: true,
  name: true,
  taskKind: true,
  status: true,
  progress: true,
  itemCount: true,
  itemsDone: true,
  itemsFailed: true,
  attempts: true,
  maxAttempts: true,
  cancelRequested: true,
  device: true,
  error: true,
  paramSignature: true,
  idempotencyKey: true,
  weightId: true,
  weightSha256: true,
  datasetId: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  updatedAt: true,
  createdBy: { select: { id: true, name: true } },
  weight: { select: { id: true, name: true, family: true, version: true } },
} as const;

export interface ListTasksInput {
  cursor?: string | null;
  limit: number;
  status?: string[] | null;
  taskKind?: string | null;
  weightId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

export async function listTasks(db: Db, teamId: string, input: ListTasksInput) {
  const rows = await db.task.findMany({
    where: {
      teamId,
      ...(input.status?.length ? { status: { in: input.status } } : {}),
      ...(input.taskKind ? { taskKind: input.taskKind } : {}),
      ...(input.weightId ? { weightId: input.weightId } : {}),
      ...(input.from || input.to
        ? {
            createdAt: {
              ...(input.from ? { gte: input.from } : {}),
              ...(input.to ? { lt: input.to } : {}),
            },
          }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: taskSummarySelect,
  });
  const nextCursor = rows.length > input.limit ? (rows[input.limit - 1]?.id ?? null) : null;
  return { items: rows.slice(0, input.limit), nextCursor };
}

export const itemSelect = {
  id: true,
  position: true,
  status: true,
  progress: true,
  resultPath: true,
  resultSha256: true,
  resultBytes: true,
  resultMeta: true,
  paramSignature: true,
  device: true,
  timings: true,
  error: true,
  startedAt: true,
  finishedAt: true,
  image: {
    select: { id: true, originalName: true, width: true, height: true, sha256: true, format: true },
  },
} as const;

export function presentItem<
  T extends { resultPath: string | null; resultMeta: string | null; timings: string | null },
>(item: T) {
  const { resultPath, resultMeta, timings, ...rest } = item;
  return {
    ...rest,
    hasResult: resultPath !== null,
    resultMeta: parseJson<Record<string, unknown> | null>(resultMeta, null),
    timings: parseJson<Record<string, number> | null>(timings, null),
  };
}

/** One row of the task query of getTask: the task with its creator and weight joined in. */
interface TaskRow {
  id: string;
  teamId: string;
  name: string;
  taskKind: string;
  status: string;
  progress: number;
  itemCount: number;
  itemsDone: number;
  itemsFailed: number;
  attempts: number;
  maxAttempts: number;
  cancelRequested: boolean;
  device: string | null;
  error: string | null;
  paramSignature: string;
  idempotencyKey: string | null;
  weightId: string | null;
  weightSha256: string;
  datasetId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  params: string;
  scores: string | null;
  version: number;
  createdById: string;
  createdByName: string;
  weightName: string | null;
  weightFamily: string | null;
  weightVersion: string | null;
}

/** One row of the items query of getTask: the item with its image joined in. */
interface ItemRow {
  id: string;
  position: number;
  status: string;
  progress: number;
  resultPath: string | null;
  resultSha256: string | null;
  resultBytes: number | null;
  resultMeta: string | null;
  paramSignature: string | null;
  device: string | null;
  timings: string | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  imageId: string;
  imageOriginalName: string;
  imageWidth: number;
  imageHeight: number;
  imageSha256: string;
  imageFormat: string;
}

/** Which page of items a `getTask` answer holds. */
export interface ItemsPage {
  itemsCursor?: number | null;
  itemsLimit: number;
}

/** What a task answer shows of rows other than the task's and its items'. */
type JoinedColumns = Pick<
  TaskRow,
  "weightId" | "datasetId" | "createdByName" | "weightName" | "weightFamily" | "weightVersion"
>;

/**
 * The token that changes whenever anything `getTask` answers for this page changes: Task.version
 * (raised by database triggers on every write to the task or its items, migration task_version)
 * plus a digest of what the answer joins in from other rows (the creator's name, the weight's
 * names, a weight or dataset set to null by its deletion) and of the page asked for.
 */
function answerVersion(task: JoinedColumns & { version: number }, page: ItemsPage): string {
  const joined = JSON.stringify([
    task.weightId,
    task.datasetId,
    task.createdByName,
    task.weightName,
    task.weightFamily,
    task.weightVersion,
    page.itemsCursor ?? 0,
    page.itemsLimit,
  ]);
  return `${task.version}.${createHash("sha1").update(joined).digest("base64url").slice(0, 12)}`;
}

const TASK_VERSION_SQL = `SELECT t."version", t."weightId", t."datasetId", u."name" AS "createdByName",
    w."name" AS "weightName", w."family" AS "weightFamily", w."version" AS "weightVersion"
  FROM "Task" t
  JOIN "User" u ON u."id" = t."createdById"
  LEFT JOIN "Weight" w ON w."id" = t."weightId"
  WHERE t."id" = ? AND t."teamId" = ?`;

/**
 * The `version` a `getTask` answer for this page would carry now, from one indexed row read:
 * the cheap half of a conditional poll. NOT_FOUND like `getTask` for another team's task.
 */
export async function taskAnswerVersion(
  db: Db,
  teamId: string,
  taskId: string,
  page: ItemsPage,
): Promise<string> {
  const [task] = await hotReads(db).all<JoinedColumns & { version: number }>(
    TASK_VERSION_SQL,
    [taskId, teamId],
    {},
  );
  if (!task) throw notFound("Task not found.");
  return answerVersion(task, page);
}

/**
 * `getTask` for a poller holding the answer of `version` `ifChanged`: while that is still the
 * answer, `{ unchanged: true }` from one row read instead of the task, its items and their
 * validation and serialisation (README "Performance").
 */
export async function getTaskIfChanged(
  db: Db,
  teamId: string,
  taskId: string,
  page: ItemsPage & { ifChanged?: string | null },
) {
  const version = await taskAnswerVersion(db, teamId, taskId, page);
  if (version === page.ifChanged) return { unchanged: true as const, version };
  return { unchanged: false as const, ...(await answerAt(db, teamId, taskId, page, version)) };
}

/**
 * The task with one page of items: what a client polls while a task runs, so it is the hottest
 * read of the API. The answer's version is read first (one indexed row, as taskAnswerVersion);
 * the answer kept for that version is handed out again (kept-answers.ts), else the task and its
 * items are read.
 */
export async function getTask(
  db: Db,
  teamId: string,
  taskId: string,
  page: ItemsPage = { itemsLimit: 200 },
): Promise<TaskAnswer> {
  return answerAt(db, teamId, taskId, page, await taskAnswerVersion(db, teamId, taskId, page));
}

/** The answer of `version`, just read by taskAnswerVersion: the one kept, or read now. */
function answerAt(
  db: Db,
  teamId: string,
  taskId: string,
  page: ItemsPage,
  version: string,
): Promise<TaskAnswer> {
  return keptTaskAnswers.at(
    db,
    `${teamId}/${taskId}/${page.itemsCursor ?? 0}/${page.itemsLimit}`,
    version,
    async () => {
      const answer = await readTask(db, teamId, taskId, page);
      return { version: answer.version, answer };
    },
  );
}

type TaskAnswer = Awaited<ReturnType<typeof readTask>>;

/**
 * At most this many items in all task answers kept for one store: each item costs a few KB
 * across the forms kept of its answer (as read, validated, serialised, as the response's text).
 */
const keptTaskAnswers = keptAnswers<TaskAnswer>({
  maxSize: 5_000,
  sizeOf: (answer) => 1 + answer.items.length,
});

/**
 * The task with one page of items, from two indexed queries (Task by id, TaskItem by the unique
 * (taskId, position)) with the creator, weight and images joined in SQL. The same read as
 * nested Prisma selects was five statements and, through Prisma's per-query and per-row
 * overhead, about three times the CPU per poll. services/tasks.test.ts keeps the result identical
 * to the nested-select version.
 */
async function readTask(db: Db, teamId: string, taskId: string, page: ItemsPage) {
  // Polled by every open task page: read past Prisma's engine (@studio/db/hot-reads).
  const reads = hotReads(db);
  const [task] = await reads.all<TaskRow>(
    `SELECT t."id", t."teamId", t."name", t."taskKind", t."status", t."progress", t."itemCount",
      t."itemsDone", t."itemsFailed", t."attempts", t."maxAttempts", t."cancelRequested",
      t."device", t."error", t."paramSignature", t."idempotencyKey", t."weightId",
      t."weightSha256", t."datasetId", t."createdAt", t."startedAt", t."finishedAt",
      t."updatedAt", t."params", t."scores", t."version",
      u."id" AS "createdById", u."name" AS "createdByName",
      w."name" AS "weightName", w."family" AS "weightFamily", w."version" AS "weightVersion"
    FROM "Task" t
    JOIN "User" u ON u."id" = t."createdById"
    LEFT JOIN "Weight" w ON w."id" = t."weightId"
    WHERE t."id" = ? AND t."teamId" = ?`,
    [taskId, teamId],
    TASK_COLUMN_TYPES,
  );
  if (!task) throw notFound("Task not found.");
  const rows = await reads.all<ItemRow>(
    `SELECT i."id", i."position", i."status", i."progress", i."resultPath", i."resultSha256",
      i."resultBytes", i."resultMeta", i."paramSignature", i."device", i."timings", i."error",
      i."startedAt", i."finishedAt",
      m."id" AS "imageId", m."originalName" AS "imageOriginalName", m."width" AS "imageWidth",
      m."height" AS "imageHeight", m."sha256" AS "imageSha256", m."format" AS "imageFormat"
    FROM "TaskItem" i
    JOIN "Image" m ON m."id" = i."imageId"
    WHERE i."taskId" = ? AND i."position" >= ?
    ORDER BY i."position" ASC
    LIMIT ?`,
    [taskId, page.itemsCursor ?? 0, page.itemsLimit + 1],
    { dates: ["startedAt", "finishedAt"] },
  );
  const more = rows.length > page.itemsLimit;
  const {
    createdById,
    createdByName,
    weightName,
    weightFamily,
    weightVersion,
    params,
    scores,
    version,
    ...summary
  } = task;
  return {
    ...summary,
    createdBy: { id: createdById, name: createdByName },
    weight:
      task.weightId !== null && weightName !== null
        ? {
            id: task.weightId,
            name: weightName,
            family: weightFamily as string,
            version: weightVersion as string,
          }
        : null,
    params: parseJson<Record<string, unknown>>(params, {}),
    items: rows.slice(0, page.itemsLimit).map(presentItemRow),
    nextItemsCursor: more ? (rows[page.itemsLimit]?.position ?? null) : null,
    scores: parseTaskScores(scores),
    /** Send it back as `ifChanged` (tasks.getIfChanged) to be told when this answer is stale. */
    version: answerVersion(task, page),
  };
}

/** Task.scores as stored by the worker; a row it cannot read counts as no scores. */
function parseTaskScores(text: string | null): TaskScores | null {
  const parsed = taskScoresSchema.safeParse(parseJson<unknown>(text, null));
  return parsed.success ? parsed.data : null;
}

function presentItemRow(row: ItemRow) {
  return {
    id: row.id,
    position: row.position,
    status: row.status,
    progress: row.progress,
    resultSha256: row.resultSha256,
    resultBytes: row.resultBytes,
    resultMeta: parseJson<Record<string, unknown> | null>(row.resultMeta, null),
    paramSignature: row.paramSignature,
    device: row.device,
    timings: parseJson<Record<string, number> | null>(row.timings, null),
    error: row.error,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    hasResult: row.resultPath !== null,
    image: {
      id: row.imageId,
      originalName: row.imageOriginalName,
      width: row.imageWidth,
      height: row.imageHeight,
      sha256: row.imageSha256,
      format: row.imageFormat,
    },
  };
}

/** What the cheap poll answers: state, counters and progress. */
export const taskStatusSelect = {
  id: true,
  status: true,
  progress: true,
  itemCount: true,
  itemsDone: true,
  itemsFailed: true,
  cancelRequested: true,
  device: true,
  error: true,
  startedAt: true,
  finishedAt: true,
  updatedAt: true,
} as const;

const TASK_COLUMN_TYPES = {
  dates: ["createdAt", "startedAt", "finishedAt", "updatedAt"],
  booleans: ["cancelRequested"],
} as const;

type TaskStatusRow = Pick<TaskRow, keyof typeof taskStatusSelect>;
const TASK_STATUS_SQL = `SELECT ${Object.keys(taskStatusSelect)
  .map((column) => `"${column}"`)
  .join(", ")}, "version" FROM "Task" WHERE "id" = ? AND "teamId" = ?`;
const TASK_ROW_VERSION_SQL = `SELECT "version" FROM "Task" WHERE "id" = ? AND "teamId" = ?`;

/** Status answers kept per store: one per polled task. */
const keptStatusAnswers = keptAnswers<TaskStatusRow>({ maxSize: 10_000, sizeOf: () => 1 });

/**
 * The cheap poll of every progress bar, without items: Task.version (one indexed row, read past
 * Prisma's engine: @studio/db/hot-reads) and the status kept for it, or read now.
 */
export async function taskStatus(db: Db, teamId: string, taskId: string) {
  const reads = hotReads(db);
  const [row] = await reads.all<{ version: number }>(TASK_ROW_VERSION_SQL, [taskId, teamId], {});
  if (!row) throw notFound("Task not found.");
  return keptStatusAnswers.at(db, `${teamId}/${taskId}`, String(row.version), async () => {
    const [task] = await reads.all<TaskStatusRow & { version: number }>(
      TASK_STATUS_SQL,
      [taskId, teamId],
      TASK_COLUMN_TYPES,
    );
    if (!task) throw notFound("Task not found.");
    const { version, ...status } = task;
    return { version: String(version), answer: status };
  });
}

export async function cancelTask(db: Db, teamId: string, taskId: string) {
  const result = await requestCancel(db, { taskId, teamId });
  if (result === "not_found") throw notFound("Task not found.");
  return { result };
}

/**
 * Puts the failed items of a finished task back in the queue; succeeded items keep their
 * results, so a retry never produces two results for one image.
 */
export async function retryFailedItems(db: Db, teamId: string, taskId: string) {
  return db.$transaction(async (tx) => {
    const now = new Date();
    // A write first, so SQLite takes the write lock before anything is read.
    const reopened = await tx.task.updateMany({
      where: { id: taskId, teamId, status: { in: ["failed", "partially_failed", "canceled"] } },
      data: {
        status: "queued",
        error: null,
        attempts: 0,
        availableAt: now,
        cancelRequested: false,
        finishedAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: now,
      },
    });
    if (reopened.count === 0) {
      const task = await tx.task.findFirst({
        where: { id: taskId, teamId },
        select: { status: true },
      });
      if (!task) throw notFound("Task not found.");
      throw conflict(
        `The task is ${task.status}; only a finished task with failed items can be retried.`,
      );
    }
    const requeued = await tx.taskItem.updateMany({
      where: { taskId, status: { in: ["failed", "canceled"] } },
      data: { status: "queued", error: null, progress: 0, startedAt: null, finishedAt: null },
    });
    if (requeued.count === 0) throw conflict("The task has no failed items.");
    const done = await tx.taskItem.count({ where: { taskId, status: "succeeded" } });
    const total = await tx.taskItem.count({ where: { taskId } });
    await tx.task.update({
      where: { id: taskId },
      data: { itemsFailed: 0, itemsDone: done, progress: total ? done / total : 0 },
      select: { id: true },
    });
    return { requeued: requeued.count };
  });
}

/**
 * Deletes a finished or queued task, its result files and their cached renditions; a running
 * one must be canceled first.
 */
export async function deleteTask(db: Db, teamId: string, taskId: string) {
  const task = await db.task.findFirst({ where: { id: taskId, teamId }, select: { status: true } });
  if (!task) throw notFound("Task not found.");
  if (task.status === "running") throw conflict("The task is running; cancel it first.");
  const { count } = await db.task.deleteMany({
    where: { id: taskId, teamId, status: { not: "running" } },
  });
  if (count === 0) throw conflict("The task started meanwhile; cancel it first.");
  await deleteBlobFoldersQuietly(
    `results/${taskId}/`,
    `${resultRenditionsDir({ id: taskId, teamId })}/`,
  );
  return { deleted: true as const };
}

/** Everything a report page (and its PDF) shows: inputs, weight, parameters, per-item results. */
export async function taskReport(db: Db, teamId: string, taskId: string) {
  const task = await db.task.findFirst({
    where: { id: taskId, teamId },
    select: {
      ...taskSummarySelect,
      params: true,
      scores: true,
      weight: {
        select: {
          id: true,
          name: true,
          family: true,
          version: true,
          sha256: true,
          isOfficial: true,
          sourceFormat: true,
        },
      },
      dataset: { select: { id: true, name: true } },
    },
  });
  if (!task) throw notFound("Task not found.");
  const items = await db.taskItem.findMany({
    where: { taskId },
    orderBy: { position: "asc" },
    select: { ...itemSelect, image: { select: { ...itemSelect.image.select, sizeBytes: true } } },
  });
  const presented = items.map(presentItem);
  const runMs = presented
    .map((i) => i.timings?.run)
    .filter((v): v is number => typeof v === "number");
  const { scores, ...taskRow } = task;
  return {
    task: { ...taskRow, params: parseJson<Record<string, unknown>>(task.params, {}) },
    items: presented,
    /** Quality scores against references (core/metrics TaskScores), null without any. */
    scores: parseTaskScores(scores),
    summary: {
      items: items.length,
      succeeded: items.filter((i) => i.status === "succeeded").length,
      failed: items.filter((i) => i.status === "failed").length,
      totalRunMs: runMs.reduce((a, b) => a + b, 0),
      meanRunMs: runMs.length ? runMs.reduce((a, b) => a + b, 0) / runMs.length : null,
      wallMs:
        task.startedAt && task.finishedAt
          ? task.finishedAt.getTime() - task.startedAt.getTime()
          : null,
    },
  };
}
