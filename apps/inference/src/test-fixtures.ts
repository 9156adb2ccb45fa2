// Store rows backed by real files, for the service's tests: a user and team, weights written
// as DATA_DIR/weights/<sha256>.onnx, images copied into DATA_DIR/uploads, tasks via the queue.
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parameterSignature } from "@studio/core/signature";
import type { ModelSpecInput, TaskKind } from "@studio/core/spec";
import { buildSegmentationModel, buildTinySrModel } from "@studio/core/testing";
import type { Db } from "@studio/db/client";
import { createTask } from "@studio/db/queue";
import { fixturePath } from "@studio/fixtures";
import sharp from "sharp";

export { FIXTURES_DIR } from "@studio/fixtures";

export async function seedTeam(db: Db): Promise<{ userId: string; teamId: string }> {
  const suffix = randomBytes(4).toString("hex");
  const user = await db.user.create({
    data: {
      email: `inference-${suffix}@example.test`,
      name: `Inference ${suffix}`,
      passwordHash: "x",
    },
    select: { id: true },
  });
  const team = await db.team.create({
    data: { name: `Team ${suffix}`, memberships: { create: { userId: user.id, role: "ADMIN" } } },
    select: { id: true },
  });
  return { userId: user.id, teamId: team.id };
}

/** A weight row with its file in DATA_DIR/weights. */
export interface SeededWeight {
  weightId: string;
  sha256: string;
  taskKind: TaskKind;
}

export async function seedWeight(
  db: Db,
  dataDir: string,
  args: {
    teamId: string;
    taskKind: TaskKind;
    bytes: Uint8Array;
    spec: ModelSpecInput;
    name?: string;
  },
): Promise<SeededWeight> {
  const sha256 = createHash("sha256").update(args.bytes).digest("hex");
  mkdirSync(path.join(dataDir, "weights"), { recursive: true });
  writeFileSync(path.join(dataDir, "weights", `${sha256}.onnx`), args.bytes);
  const weight = await db.weight.create({
    data: {
      teamId: args.teamId,
      taskKind: args.taskKind,
      name: args.name ?? `w-${sha256.slice(0, 8)}`,
      family: "test",
      version: randomBytes(4).toString("hex"),
      sha256,
      sizeBytes: args.bytes.byteLength,
      spec: JSON.stringify(args.spec),
      status: "ready",
    },
    select: { id: true },
  });
  return { weightId: weight.id, sha256, taskKind: args.taskKind };
}

/** The tiny x2 super-resolution model (core's test model) as a ready weight of the team. */
export function seedTinySrWeight(db: Db, dataDir: string, teamId: string): Promise<SeededWeight> {
  const model = buildTinySrModel({ scale: 2 });
  return seedWeight(db, dataDir, {
    teamId,
    taskKind: "super_resolution",
    bytes: model.bytes,
    spec: { kind: "super_resolution", scale: 2, receptiveField: model.receptiveField },
  });
}

/**
 * An x2 model of 64 feature maps of 1x1 convolutions as a weight: quick, yet its working memory
 * on a 512-640 px input (tens of MB per map) stands far above a process's own noise.
 */
export function seedWideSrWeight(
  db: Db,
  dataDir: string,
  teamId: string,
  seed: number,
): Promise<SeededWeight> {
  const model = buildTinySrModel({ scale: 2, layers: 3, hidden: 64, kernel: 1, seed });
  return seedWeight(db, dataDir, {
    teamId,
    taskKind: "super_resolution",
    bytes: model.bytes,
    spec: { kind: "super_resolution", scale: 2, receptiveField: model.receptiveField },
  });
}

/** A `side` x `side` RGB PNG of a repeating byte pattern (no fixture that large) as an image. */
export async function seedPatternImage(
  db: Db,
  dataDir: string,
  team: { teamId: string; userId: string },
  side: number,
): Promise<string> {
  const pixels = Buffer.alloc(side * side * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) & 255;
  const png = await sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toBuffer();
  return seedImage(db, dataDir, { ...team, bytes: png, width: side, height: side });
}

/** A small gray segmentation model of any (even) size, with the sigmoid in the spec, as a weight. */
export function seedSegmentationWeight(
  db: Db,
  dataDir: string,
  teamId: string,
): Promise<SeededWeight> {
  return seedWeight(db, dataDir, {
    teamId,
    taskKind: "segmentation",
    bytes: buildSegmentationModel({ size: "dynamic", sigmoid: false }).bytes,
    spec: {
      kind: "segmentation",
      colorOrder: "gray",
      size: { mode: "dynamic", multipleOf: 2 },
      activation: "sigmoid",
    },
  });
}

/** Copies a file (a fixture name, or raw bytes) into uploads/ and records it as an Image. */
export async function seedImage(
  db: Db,
  dataDir: string,
  args: {
    teamId: string;
    userId: string;
    fixture?: string;
    bytes?: Uint8Array;
    width: number;
    height: number;
    channels?: number;
  },
): Promise<string> {
  const name = `${randomBytes(6).toString("hex")}.png`;
  const storagePath = `uploads/${name}`;
  mkdirSync(path.join(dataDir, "uploads"), { recursive: true });
  const target = path.join(dataDir, storagePath);
  if (args.fixture) copyFileSync(fixturePath(args.fixture), target);
  else writeFileSync(target, args.bytes ?? new Uint8Array());
  const bytes = readFileSync(target);
  const image = await db.image.create({
    data: {
      teamId: args.teamId,
      uploadedById: args.userId,
      originalName: args.fixture ?? name,
      storagePath,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      sizeBytes: bytes.byteLength,
      format: "png",
      width: args.width,
      height: args.height,
      channels: args.channels ?? 3,
    },
    select: { id: true },
  });
  return image.id;
}

/** The cat photo (chelsea.png, 451x300 RGB) that most tests run on. */
export const seedCatImage = (db: Db, dataDir: string, team: { teamId: string; userId: string }) =>
  seedImage(db, dataDir, { ...team, fixture: "chelsea.png", width: 451, height: 300 });

/** A retinal crop (microaneurysms.png, 102x102 grey): small and one-channel. */
export const seedGrayImage = (db: Db, dataDir: string, team: { teamId: string; userId: string }) =>
  seedImage(db, dataDir, {
    ...team,
    fixture: "microaneurysms.png",
    width: 102,
    height: 102,
    channels: 1,
  });

export async function seedTask(
  db: Db,
  args: {
    teamId: string;
    userId: string;
    /** The task runs this weight, for its task kind. */
    weight: SeededWeight;
    params?: Record<string, unknown>;
    imageIds: string[];
    maxAttempts?: number;
  },
): Promise<string> {
  const params = args.params ?? {};
  const { weightId, sha256: weightSha256, taskKind } = args.weight;
  const { id } = await createTask(db, {
    teamId: args.teamId,
    createdById: args.userId,
    weightId,
    weightSha256,
    taskKind,
    params,
    paramSignature: parameterSignature({ kind: taskKind, params, weightSha256 }),
    imageIds: args.imageIds,
    ...(args.maxAttempts ? { maxAttempts: args.maxAttempts } : {}),
  });
  return id;
}
