import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "./client";
import { type CopyProgress, copyStore, storeModels, TargetNotEmptyError } from "./copy-store";
import { loadMigrationList } from "./migrate";
import { registerNode } from "./nodes";
import { createDatabase, dropDatabase } from "./postgres-server";
import { claimNextTask, completeItem, failItem, requestCancel, startItem } from "./queue";
import { registerWorker } from "./queue/workers";
import { testPostgres } from "./test-postgres";
import {
  createFixtureTask,
  createTestDatabase,
  createTestFixtures,
  type TestDatabase,
} from "./testing";
import { createUserWithPersonalTeam } from "./users";

// The cluster runs with trust authentication, so any password is accepted: the tests put one
// in the URLs to check that it never shows up in what the copy reports.
const PASSWORD = "pw-Sekr1t-42";

const T1 = new Date("2030-01-02T03:04:05.678Z");
const T2 = new Date("2030-06-07T08:09:10.011Z");

let source: TestDatabase;
let sourceFile: string;
let queuedTaskId: string;
const scratch = mkdtempSync(join(tmpdir(), "studio-copy-test-"));
const databases: string[] = [];

/** A new, empty (unmigrated) PostgreSQL database; its URL carries PASSWORD. */
async function emptyPostgres(): Promise<{ url: string; name: string }> {
  const { adminUrl } = await testPostgres();
  const name = `studio_copy_${Math.random().toString(36).slice(2, 10)}`;
  databases.push(name);
  const url = new URL(await createDatabase(adminUrl, name));
  url.password = PASSWORD;
  return { url: url.toString(), name };
}

/** Every row of every model, ordered by id: what "the same store" means here. */
async function snapshot(db: Db): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const model of storeModels()) {
    const delegate = (
      db as unknown as Record<string, { findMany: (a: object) => Promise<unknown[]> }>
    )[model.charAt(0).toLowerCase() + model.slice(1)];
    rows[model] = await must(delegate, model).findMany({ orderBy: { id: "asc" } });
  }
  return rows;
}

async function snapshotOf(url: string): Promise<Record<string, unknown[]>> {
  const db = createDb(url);
  try {
    return await snapshot(db);
  } finally {
    await db.$disconnect();
  }
}

function rowCount(snap: Record<string, unknown[]>): number {
  return Object.values(snap).reduce((sum, rows) => sum + rows.length, 0);
}

function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`${what} is missing`);
  return value;
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/**
 * A store with rows in every table, written the way the product writes them (its helpers and
 * queue primitives) plus direct creates for the values that are easy to get wrong in a copy:
 * millisecond timestamps, nulls, true booleans, a fractional float, JSON text with quotes and
 * non-ASCII characters, an official weight without a team.
 */
async function populate(db: Db): Promise<void> {
  const admin = await createUserWithPersonalTeam(db, {
    email: "ada@example.test",
    name: 'Ada "the first" Lovelace — 😀',
    passwordHash: "scrypt$16384$8$1$salt$hash",
  });
  await db.user.update({
    where: { id: admin.user.id },
    data: { settings: '{"locale":"fr-FR","note":"ça \\"marche\\""}', lockedUntil: T1 },
  });
  const fx = await createTestFixtures(db, { images: 4, suffix: "copy" });
  const team = await db.team.create({
    data: {
      name: "Lab",
      memberships: {
        create: [
          { userId: admin.user.id, role: "ADMIN", createdAt: T1 },
          { userId: fx.userId, role: "MEMBER" },
        ],
      },
    },
  });
  await db.teamInvitation.create({
    data: {
      teamId: team.id,
      email: "carol@example.test",
      role: "ADMIN",
      invitedById: admin.user.id,
    },
  });
  await db.teamInvitation.create({ data: { teamId: team.id, email: "dan@example.test" } });
  await db.apiToken.create({
    data: {
      userId: fx.userId,
      name: "ci",
      tokenHash: "a".repeat(64),
      prefix: "vs_abc",
      lastUsedAt: T1,
      expiresAt: T2,
    },
  });
  await db.apiToken.create({
    data: {
      userId: admin.user.id,
      name: "old",
      tokenHash: "b".repeat(64),
      prefix: "vs_def",
      revokedAt: T2,
    },
  });
  const dataset = await db.dataset.create({
    data: {
      teamId: fx.teamId,
      createdById: fx.userId,
      name: "Cats",
      layout: "classification",
      layoutReport: '{"recognised":["train/cat"],"ignored":[]}',
    },
  });
  await db.datasetImage.create({
    data: {
      datasetId: dataset.id,
      imageId: must(fx.imageIds[0], "image"),
      relativePath: "train/cat/1.png",
      label: "cat",
    },
  });
  await db.datasetImage.create({
    data: {
      datasetId: dataset.id,
      imageId: must(fx.imageIds[1], "image"),
      relativePath: "train/dog/2.png",
      annotations: '[{"box":[0.1,0.2,0.5,0.75],"label":"dog"}]',
    },
  });
  await db.weight.create({
    data: {
      isOfficial: true,
      isDefault: true,
      taskKind: "segmentation",
      name: "PP-OCRv4 det",
      family: "ppocr",
      version: "4",
      sha256: "c".repeat(64),
      sizeBytes: 4_700_000,
      spec: '{"input":"x","mean":[0.485,0.456,0.406]}',
      status: "ready",
      deprecatedAt: T2,
      license: "Apache-2.0",
    },
  });
  await db.preset.create({
    data: {
      teamId: fx.teamId,
      createdById: fx.userId,
      taskKind: "super_resolution",
      name: "Sharp",
      params: '{"tile":256,"denoise":0.5}',
    },
  });

  // Tasks in every state the queue produces.
  const running = await createFixtureTask(db, fx, { imageIds: fx.imageIds.slice(0, 3) });
  const claimed = await claimNextTask(db, { workerId: "worker-1", leaseMs: 60_000 });
  expect(claimed?.id).toBe(running);
  const items = await db.taskItem.findMany({
    where: { taskId: running },
    orderBy: { position: "asc" },
  });
  const lease = { taskId: running, workerId: "worker-1" };
  await startItem(db, { ...lease, itemId: must(items[0], "item 0").id });
  await completeItem(db, {
    ...lease,
    itemId: must(items[0], "item 0").id,
    result: {
      path: `results/${running}/0.png`,
      sha256: "d".repeat(64),
      bytes: 1234,
      meta: { topk: [{ label: "cat", p: 0.9 }] },
      device: "cpu",
      timings: { decode: 1.5, run: 20 },
      paramSignature: "sig",
    },
  });
  await startItem(db, { ...lease, itemId: must(items[1], "item 1").id });
  await failItem(db, {
    ...lease,
    itemId: must(items[1], "item 1").id,
    error: "image too large: 9000×9000",
  });
  await startItem(db, { ...lease, itemId: must(items[2], "item 2").id });
  await db.task.update({
    where: { id: running },
    data: { progress: 1 / 3, cancelRequested: true },
  });

  queuedTaskId = await createFixtureTask(db, fx, {
    datasetId: dataset.id,
    idempotencyKey: "upload-42",
    params: { tile: 128, note: "naïve" },
  });
  const canceled = await createFixtureTask(db, fx);
  expect(await requestCancel(db, { taskId: canceled })).toBe("canceled");

  await registerWorker(db, {
    id: "worker-1",
    hostname: "gpu-1",
    pid: 4242,
    info: { concurrency: 2 },
  });
  await registerWorker(db, { id: "worker-0", hostname: "gpu-0", pid: 17, now: T1 });
  await db.worker.update({ where: { id: "worker-0" }, data: { stoppedAt: T2 } });
  await registerNode(db, {
    id: "node-1",
    url: "http://10.0.0.5:3001",
    hostname: "gpu-1",
    pid: 4242,
    device: "cuda",
    providers: ["cuda", "cpu"],
    capacity: 4,
    version: "1.0.0",
    heartbeatMs: 2000,
  });
  await db.rateLimitHit.create({ data: { bucket: "upload:team-1", createdAt: T1 } });
  await db.signInAttempt.create({ data: { email: "eve@example.test", address: "2001:db8::/64" } });
}

beforeAll(async () => {
  source = await createTestDatabase({ provider: "sqlite", prefix: "studio-copy-source-" });
  await populate(source.db);
  // Closed so the file is settled (WAL checkpointed) and its bytes can be compared later.
  await source.db.$disconnect();
  sourceFile = must(source.file, "SQLite file");
});

afterAll(async () => {
  const { adminUrl } = await testPostgres();
  for (const name of databases) await dropDatabase(adminUrl, name);
  await source?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe("copyStore (SQLite -> PostgreSQL)", () => {
  let target: { url: string; name: string };
  let copied: Record<string, unknown[]>;

  it("the source fixture has rows in every model, so the copy below covers every table", async () => {
    const snap = await snapshotOf(source.url);
    const empty = storeModels().filter((model) => (snap[model] ?? []).length === 0);
    // A model added to the schema must get rows in populate() above.
    expect(empty).toEqual([]);
  });

  it("migrates an empty database and copies every row of every table exactly", async () => {
    const before = sha256(sourceFile);
    const expected = await snapshotOf(source.url);
    target = await emptyPostgres();
    const progress: CopyProgress[] = [];
    const result = await copyStore(source.url, target.url, {
      batchSize: 2,
      onProgress: (p) => {
        progress.push(p);
      },
    });

    const migrations = (await loadMigrationList()).migrationDirectories.map((d) => d.path);
    expect(result.migrationsApplied).toEqual(migrations);
    expect(result.tables.map((t) => t.table).sort()).toEqual([...storeModels()].sort());
    for (const { table, rows } of result.tables) expect(rows).toBe(expected[table]?.length);
    // Parents before children, as the foreign keys require.
    const at = (table: string) => result.tables.findIndex((t) => t.table === table);
    for (const [parent, child] of [
      ["User", "Membership"],
      ["Team", "Membership"],
      ["Image", "DatasetImage"],
      ["Dataset", "Task"],
      ["Weight", "Task"],
      ["Task", "TaskItem"],
    ] as const)
      expect(at(parent)).toBeLessThan(at(child));
    // Batches of 2: a table of 4 images reports 2, then 4.
    expect(progress.filter((p) => p.table === "Image").map((p) => p.copied)).toEqual([0, 2, 4]);

    copied = await snapshotOf(target.url);
    expect(copied).toEqual(expected);
    expect(sha256(sourceFile)).toBe(before);
  });

  it("keeps the values that are easy to get wrong", () => {
    const users = copied.User as {
      name: string;
      settings: string;
      lockedUntil: Date | null;
      isSiteAdmin: boolean;
    }[];
    const ada = must(
      users.find((u) => u.name.startsWith("Ada")),
      "Ada",
    );
    expect(ada.name).toBe('Ada "the first" Lovelace — 😀');
    expect(ada.settings).toBe('{"locale":"fr-FR","note":"ça \\"marche\\""}');
    expect(ada.lockedUntil).toEqual(T1);
    expect(ada.isSiteAdmin).toBe(true);
    const tasks = copied.Task as { progress: number; cancelRequested: boolean; status: string }[];
    expect(tasks.find((t) => t.status === "running")).toMatchObject({
      progress: 1 / 3,
      cancelRequested: true,
    });
    const statuses = (copied.TaskItem as { status: string }[]).map((i) => i.status).sort();
    expect(new Set(statuses)).toEqual(
      new Set(["canceled", "failed", "queued", "running", "succeeded"]),
    );
    expect((copied.Weight as { teamId: string | null }[]).some((w) => w.teamId === null)).toBe(
      true,
    );
  });

  it("leaves a store the queue runs on: a worker claims the queued task from PostgreSQL", async () => {
    const db = createDb(target.url);
    try {
      const claimed = await claimNextTask(db, { workerId: "pg-worker", leaseMs: 60_000 });
      expect(claimed?.id).toBe(queuedTaskId);
      expect(await claimNextTask(db, { workerId: "pg-worker", leaseMs: 60_000 })).toBeNull();
      // Undo, so the next test compares against the copy as it was.
      await db.task.update({
        where: { id: queuedTaskId },
        data: (copied.Task as { id: string }[]).find((t) => t.id === queuedTaskId) as object,
      });
    } finally {
      await db.$disconnect();
    }
    expect(await snapshotOf(target.url)).toEqual(copied);
  });

  it("refuses a target that already holds rows and changes nothing in it", async () => {
    const error = await copyStore(source.url, target.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetNotEmptyError);
    expect((error as Error).message).toMatch(/already holds rows \(User: \d+/);
    expect((error as Error).message).toMatch(/empty database/);
    expect((error as Error).message).not.toContain(PASSWORD);
    expect(await snapshotOf(target.url)).toEqual(copied);
  });
});

describe("copyStore failures leave the target without rows", () => {
  it("a row PostgreSQL refuses (a NUL character, which SQLite stores) half-way", async () => {
    const file = join(scratch, "nul.db");
    copyFileSync(sourceFile, file);
    const broken = createDb(`file:${file}`);
    const item = await broken.taskItem.findFirstOrThrow({ where: { status: "failed" } });
    await broken.taskItem.update({ where: { id: item.id }, data: { error: "bad\u0000byte" } });
    await broken.$disconnect();

    const target = await emptyPostgres();
    const progress: CopyProgress[] = [];
    const error = await copyStore(`file:${file}`, target.url, {
      batchSize: 1,
      onProgress: (p) => {
        progress.push(p);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^copying TaskItem \(1 rows from id \w+\): invalid byte sequence .*0x00/,
    );
    expect((error as Error).message).not.toContain(PASSWORD);
    // It failed half-way: other tables had been written inside the transaction...
    expect(progress.some((p) => p.table === "Task" && p.copied > 0)).toBe(true);
    // ...and none of it was committed.
    expect(rowCount(await snapshotOf(target.url))).toBe(0);

    // Once the row is fixed, the same (still empty) target takes the copy.
    const fixed = createDb(`file:${file}`);
    await fixed.taskItem.update({ where: { id: item.id }, data: { error: "bad byte" } });
    await fixed.$disconnect();
    const result = await copyStore(`file:${file}`, target.url);
    expect(result.migrationsApplied).toEqual([]);
    expect(rowCount(await snapshotOf(target.url))).toBe(rowCount(await snapshotOf(`file:${file}`)));
  });

  it("a target that goes away in the middle of the copy", async () => {
    const target = await emptyPostgres();
    const { adminUrl } = await testPostgres();
    let cut = false;
    const error = await copyStore(source.url, target.url, {
      batchSize: 1,
      onProgress: async (p) => {
        if (cut || p.table !== "Image" || p.copied !== 2) return;
        cut = true;
        const admin = new pg.Client({ connectionString: adminUrl });
        await admin.connect();
        try {
          await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            [target.name],
          );
        } finally {
          await admin.end();
        }
      },
    }).catch((e: unknown) => e);
    expect(cut).toBe(true);
    expect((error as Error).message).toMatch(/^copying Image/);
    expect((error as Error).message).not.toContain(PASSWORD);
    expect(rowCount(await snapshotOf(target.url))).toBe(0);
  });

  it("refuses a SQLite file that is not a migrated store, before touching the target", async () => {
    const file = join(scratch, "not-a-store.db");
    writeFileSync(file, "");
    const target = await emptyPostgres();
    await expect(copyStore(`file:${file}`, target.url)).rejects.toThrow(
      /is not a Vision Studio store/,
    );
    const admin = new pg.Client({ connectionString: target.url.replace(`:${PASSWORD}@`, "@") });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it("refuses URLs of the wrong kind with what to pass instead", async () => {
    await expect(copyStore("postgresql://a@b/c", "postgresql://a@b/d")).rejects.toThrow(
      /--from must be the SQLite store/,
    );
    await expect(copyStore(source.url, `file:${join(scratch, "x.db")}`)).rejects.toThrow(
      /--to must be a PostgreSQL URL/,
    );
  });
});
