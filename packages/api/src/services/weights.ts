import { readdir, readFile } from "node:fs/promises";
import { int8WeightKey } from "@studio/contracts/inference/int8";
import { TASK_KINDS } from "@studio/contracts/task";
import { groupWeightTree } from "@studio/contracts/weights";
import { ModelSpec, type TaskKind } from "@studio/core/spec";
import type { Db } from "../db";
import { AppError, badRequest, conflict, forbidden, inferenceError, notFound } from "../errors";
import type { InferenceClient } from "../inference";
import {
  type BlobStore,
  blobStore,
  deleteBlobsQuietly,
  localFiles,
  type StoredFile,
} from "../storage/blobs";
import { resolveDataPath } from "../storage/files";
import { parseJson } from "./json";

/** What the store's `status` and `sourceFormat` columns hold (the schema keeps them as text). */
export const WEIGHT_STATUSES = ["validating", "ready", "invalid"] as const;
export const SOURCE_FORMATS = ["onnx", "ncnn", "pytorch", "safetensors"] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** Weights a team may see and run: its own and the official ones. */
export const usableWeightWhere = (teamId: string) => ({
  OR: [{ teamId }, { isOfficial: true }],
});

export const weightSummarySelect = {
  id: true,
  teamId: true,
  isOfficial: true,
  taskKind: true,
  name: true,
  family: true,
  version: true,
  description: true,
  sha256: true,
  sizeBytes: true,
  sourceFormat: true,
  status: true,
  validationError: true,
  isDefault: true,
  deprecatedAt: true,
  license: true,
  createdAt: true,
  uploadedBy: { select: { id: true, name: true } },
  /** The INT8 check's report (JSON text; the output parses it), null until checked. */
  int8: true,
} as const;

export async function listWeights(
  db: Db,
  teamId: string,
  input: { taskKind?: string | null; includeDeprecated?: boolean; status?: string | null } = {},
) {
  return db.weight.findMany({
    where: {
      ...usableWeightWhere(teamId),
      ...(input.taskKind ? { taskKind: input.taskKind } : {}),
      ...(input.status ? { status: input.status } : {}),
      ...(input.includeDeprecated ? {} : { deprecatedAt: null }),
    },
    orderBy: [{ taskKind: "asc" }, { family: "asc" }, { createdAt: "desc" }],
    select: weightSummarySelect,
  });
}

/** Task kind -> family -> versions, newest version first. */
export async function weightTree(db: Db, teamId: string) {
  return groupWeightTree(await listWeights(db, teamId, { includeDeprecated: true }));
}

export async function getWeight(db: Db, teamId: string, weightId: string) {
  const weight = await db.weight.findFirst({
    where: { id: weightId, ...usableWeightWhere(teamId) },
    select: {
      ...weightSummarySelect,
      spec: true,
      ioMetadata: true,
      validationReport: true,
      updatedAt: true,
    },
  });
  if (!weight) throw notFound("Weight not found.");
  const usedBy = await db.task.count({
    where: { weightId, status: { in: ["queued", "running"] } },
  });
  return {
    ...weight,
    spec: parseJson<unknown>(weight.spec, null),
    ioMetadata: parseJson<Record<string, unknown>>(weight.ioMetadata, {}),
    validationReport: parseJson<Record<string, unknown>>(weight.validationReport, {}),
    activeTasks: usedBy,
  };
}

/**
 * Loads a weight for a change. Team weights are managed by the team's admins, official ones
 * by site admins (through the official scope, or from a team when `isSiteAdmin` says so);
 * anything else looks like a missing weight or a refusal.
 */
export async function weightForChange(
  db: Db,
  scope: { teamId: string; isTeamAdmin: boolean; isSiteAdmin?: boolean } | { official: true },
  weightId: string,
) {
  const weight = await db.weight.findUnique({
    where: { id: weightId },
    select: {
      id: true,
      teamId: true,
      isOfficial: true,
      taskKind: true,
      status: true,
      sha256: true,
      spec: true,
      deprecatedAt: true,
    },
  });
  if ("official" in scope) {
    if (!weight?.isOfficial) throw notFound("Official weight not found.");
    return weight;
  }
  if (!weight || (weight.teamId !== scope.teamId && !weight.isOfficial))
    throw notFound("Weight not found.");
  if (weight.isOfficial) {
    if (!scope.isSiteAdmin) throw forbidden("Official weights are managed by site admins.");
    return weight;
  }
  if (!scope.isTeamAdmin) throw forbidden("Only team admins manage weights.");
  return weight;
}

export type WeightScope = Parameters<typeof weightForChange>[1];

/** One default per task kind within a scope (a team, or the official set). */
export async function setDefaultWeight(db: Db, scope: WeightScope, weightId: string) {
  const weight = await weightForChange(db, scope, weightId);
  if (weight.status !== "ready") throw conflict("Only a validated weight can be the default.");
  if (weight.deprecatedAt) throw conflict("A deprecated weight cannot be the default.");
  await db.$transaction([
    db.weight.updateMany({
      where: {
        teamId: weight.teamId,
        isOfficial: weight.isOfficial,
        taskKind: weight.taskKind,
        isDefault: true,
      },
      data: { isDefault: false },
    }),
    db.weight.update({ where: { id: weight.id }, data: { isDefault: true }, select: { id: true } }),
  ]);
  return { id: weight.id, isDefault: true as const };
}

export async function setDeprecated(
  db: Db,
  scope: WeightScope,
  weightId: string,
  deprecated: boolean,
) {
  const weight = await weightForChange(db, scope, weightId);
  const updated = await db.weight.update({
    where: { id: weight.id },
    data: deprecated ? { deprecatedAt: new Date(), isDefault: false } : { deprecatedAt: null },
    select: { id: true, deprecatedAt: true, isDefault: true },
  });
  return updated;
}

/** Refused while a queued or running task uses it; the file goes when no other row shares it. */
export async function deleteWeight(db: Db, scope: WeightScope, weightId: string) {
  const weight = await weightForChange(db, scope, weightId);
  const active = await db.task.count({
    where: { weightId, status: { in: ["queued", "running"] } },
  });
  if (active > 0)
    throw conflict(`${active} queued or running task(s) use this weight; cancel them first.`);
  await db.weight.delete({ where: { id: weight.id }, select: { id: true } });
  const shared = await db.weight.count({ where: { sha256: weight.sha256 } });
  // Only the shared object goes (with its INT8 model, if checked); models fetched into official/
  // are each machine's own.
  if (shared === 0)
    await deleteBlobsQuietly(weightFilePath(weight.sha256), int8WeightKey(weight.sha256));
  return { deleted: true as const };
}

export const weightFilePath = (sha256: string) => `weights/${sha256}.onnx`;

/**
 * Where the ONNX file of a checksum is: weights/<sha>.onnx in the blob store (uploads), else an
 * official weight fetched into this machine's official/ folder (found by its record's sha256),
 * the same order the worker uses.
 */
export async function locateWeightObject(
  sha256: string,
): Promise<{ store: BlobStore; key: string } | null> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
  const store = blobStore();
  if ((await store.head(weightFilePath(sha256)))?.size) {
    return { store, key: weightFilePath(sha256) };
  }
  const local = localFiles();
  const official = `official/${sha256}.onnx`;
  if ((await local.head(official))?.size) return { store: local, key: official };
  let names: string[] = [];
  try {
    names = await readdir(resolveDataPath("official"));
  } catch {
    return null;
  }
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    try {
      const record = JSON.parse(await readFile(resolveDataPath(`official/${name}`), "utf8")) as {
        sha256?: string;
      };
      const key = `official/${name.replace(/\.json$/, ".onnx")}`;
      if (record.sha256 === sha256 && (await local.head(key))?.size) return { store: local, key };
    } catch {
      // an unreadable record is not this weight
    }
  }
  return null;
}

/** The team's default for a kind, else the official default. */
export async function defaultWeightFor(db: Db, teamId: string, taskKind: TaskKind) {
  const own = await db.weight.findFirst({
    where: { teamId, taskKind, isDefault: true, status: "ready", deprecatedAt: null },
    select: weightSummarySelect,
  });
  if (own) return own;
  return db.weight.findFirst({
    where: { isOfficial: true, taskKind, isDefault: true, status: "ready", deprecatedAt: null },
    select: weightSummarySelect,
  });
}

export interface WeightUploadMeta {
  taskKind: TaskKind;
  name: string;
  family: string;
  version: string;
  description?: string;
  license?: string | null;
  /** The model spec (or null to let the service derive it from the graph). */
  spec?: unknown;
  /** What was uploaded; the stored file is always the ONNX that runs. */
  sourceFormat?: SourceFormat;
  /** The importer's report for a PyTorch/safetensors upload, kept in validationReport.import. */
  importReport?: unknown;
}

/**
 * Registers an uploaded ONNX file staged in the store (incoming/...): kept by checksum under
 * weights/<sha256>.onnx, validated by the inference service (it loads and trial-runs the model
 * in an isolated process), recorded as ready. A rejected or unvalidated upload leaves neither a
 * row nor an object and answers with the precise reason; the staged object is gone either way.
 */
export async function registerWeightUpload(
  db: Db,
  inference: InferenceClient,
  input: {
    owner: { teamId: string } | { official: true };
    userId: string;
    file: StoredFile;
    meta: WeightUploadMeta;
  },
) {
  const { meta, file } = input;
  const refuse = async (error: AppError): Promise<never> => {
    await deleteBlobsQuietly(file.key);
    throw error;
  };
  let spec: unknown;
  if (meta.spec !== undefined && meta.spec !== null) {
    const parsed = ModelSpec.safeParse(meta.spec);
    if (!parsed.success) {
      return refuse(
        new AppError(
          "invalid_spec",
          `The model spec is invalid: ${parsed.error.issues[0]?.message}`,
        ),
      );
    }
    if (parsed.data.kind !== meta.taskKind) {
      return refuse(
        new AppError("invalid_spec", `The spec is for ${parsed.data.kind}, not ${meta.taskKind}.`),
      );
    }
    spec = parsed.data;
  }
  const teamId = "official" in input.owner ? null : input.owner.teamId;
  const clash = await db.weight
    .findFirst({
      where: { teamId, taskKind: meta.taskKind, family: meta.family, version: meta.version },
      select: { id: true },
    })
    .catch(async (error: unknown) => {
      await deleteBlobsQuietly(file.key);
      throw error;
    });
  if (clash) return refuse(conflict(`Version ${meta.version} of ${meta.family} already exists.`));

  const key = weightFilePath(file.sha256);
  const store = blobStore();
  let existingFile: number;
  try {
    existingFile = await db.weight.count({ where: { sha256: file.sha256 } });
    // Content-addressed: when a row already uses the object, it holds these very bytes and
    // stays as it is (never replaced under a reader); otherwise the staged upload takes the key.
    if (existingFile > 0 && (await store.exists(key))) await deleteBlobsQuietly(file.key);
    else await store.move(file.key, key);
  } catch (error) {
    await deleteBlobsQuietly(file.key);
    throw error;
  }
  const cleanup = async (weightId?: string) => {
    if (weightId) await db.weight.deleteMany({ where: { id: weightId } });
    if (existingFile === 0 && (await db.weight.count({ where: { sha256: file.sha256 } })) === 0) {
      await deleteBlobsQuietly(key);
    }
  };

  const created = await db.weight
    .create({
      data: {
        teamId,
        isOfficial: teamId === null,
        uploadedById: input.userId,
        taskKind: meta.taskKind,
        name: meta.name,
        family: meta.family,
        version: meta.version,
        description: meta.description ?? "",
        license: meta.license ?? null,
        sha256: file.sha256,
        sizeBytes: file.size,
        sourceFormat: meta.sourceFormat ?? "onnx",
        spec: JSON.stringify(spec ?? null),
        status: "validating",
      },
      select: { id: true },
    })
    .catch(async (error: unknown) => {
      await cleanup();
      throw error;
    });

  let report: Awaited<ReturnType<InferenceClient["validateWeight"]>>;
  try {
    report = await inference.validateWeight({ key, taskKind: meta.taskKind, spec });
  } catch (error) {
    await cleanup(created.id);
    throw inferenceError(error);
  }
  if (!report.ok) {
    await cleanup(created.id);
    throw new AppError(
      report.code ?? "weight_rejected",
      report.reason ?? "The weight failed validation.",
    );
  }
  const { inputs, outputs, opset, opsets, parameterCount } = report;
  return db.weight.update({
    where: { id: created.id },
    data: {
      status: "ready",
      validationError: null,
      spec: JSON.stringify(report.spec ?? spec ?? null),
      ioMetadata: JSON.stringify({
        inputs,
        outputs,
        opset: opset ?? null,
        opsets,
        parameterCount: parameterCount ?? null,
      }),
      validationReport: JSON.stringify(
        meta.importReport === undefined ? report : { ...report, import: meta.importReport },
      ),
    },
    select: weightSummarySelect,
  });
}

export function assertKind(kind: string): asserts kind is TaskKind {
  if (!(TASK_KINDS as readonly string[]).includes(kind)) {
    throw badRequest(`Unknown task kind ${kind}.`);
  }
}
