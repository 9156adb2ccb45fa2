// The PostgreSQL server goes away for a few seconds while an inference node works through the
// queue and the API takes requests: uploads during the outage fail with a clear error and
// leave nothing behind; afterwards the API and the node carry on by themselves, and every task
// ends succeeded with exactly one result.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { createRegistryClient } from "@studio/api/inference";
import { makeTeam, makeUser, resetEnvForTests } from "@studio/api/testing";
import { createClient, FileRouteError } from "@studio/client";
import { buildTinySrModel } from "@studio/core/onnx/testing";
import { createDb, type Db } from "@studio/db/client";
import { migrateDatabase } from "@studio/db/migrate";
import { listNodes } from "@studio/db/nodes";
import { type PostgresServer, startPostgresServer } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, expect, it, vi } from "vitest";

const INFERENCE_DIR = path.resolve(import.meta.dirname, "../../apps/inference");
const TOKEN = "store-outage-test-token";
const TASKS = 20;

let pg: PostgresServer;
let db: Db;
let url: string;
let dataDir: string;
let node: ChildProcess;
let server: Awaited<ReturnType<typeof serveNode>>;
let client: ReturnType<typeof createClient>;
let teamId: string;

beforeAll(async () => {
  pg = await startPostgresServer({ prefix: "store-outage-pg-" });
  url = await pg.createDatabase("studio_outage");
  await migrateDatabase(url);
  db = createDb(url);
  dataDir = mkdtempSync(path.join(os.tmpdir(), "store-outage-data-"));
  for (const dir of ["uploads", "weights", "results", "tmp", "logs", "official"]) {
    mkdirSync(path.join(dataDir, dir), { recursive: true });
  }
  process.env.DATA_DIR = dataDir;
  resetEnvForTests();
  node = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: INFERENCE_DIR,
    detached: true,
    stdio: ["ignore", "ignore", "ignore"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      NODE_OPTIONS: "",
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      INFERENCE_TOKEN: TOKEN,
      INFERENCE_HOST: "127.0.0.1",
      INFERENCE_PORT: "0",
      NODE_ID: "outage-node",
      NODE_HEARTBEAT_MS: "200",
      WORKER_CONCURRENCY: "1",
      WORKER_POLL_MS: "200",
      WORKER_LEASE_MS: "3000",
      WORKER_RETRY_BASE_MS: "0",
      ORT_INTRA_OP_THREADS: "1",
      CLEANUP_ENABLED: "false",
      LOG_LEVEL: "silent",
      LOG_TO_FILE: "false",
    },
  });
  await vi.waitFor(async () => expect((await listNodes(db)).map((n) => n.state)).toEqual(["up"]), {
    timeout: 90_000,
    interval: 200,
  });
  const admin = await makeUser(db, { siteAdmin: true });
  teamId = (await makeTeam(db, [{ userId: admin.id, role: "ADMIN" }])).id;
  const { token } = await createApiToken(db, admin.id, { name: "outage" });
  server = await serveNode(
    createApiHandler({
      db,
      inference: createRegistryClient(db, { fallbackUrl: "http://127.0.0.1:9", token: TOKEN }),
    }),
  );
  client = createClient({ url: server.url, token, teamId });
}, 180_000);

afterAll(async () => {
  if (node?.pid && node.exitCode === null) process.kill(-node.pid, "SIGKILL");
  await server?.close();
  await db?.$disconnect();
  await pg?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Files under DATA_DIR/uploads and DATA_DIR/tmp. */
const storedFiles = () =>
  ["uploads", "tmp"].flatMap((dir) =>
    readdirSync(path.join(dataDir, dir), { recursive: true }).map(String),
  );

it("survives the store going away for a few seconds", async () => {
  const sr = buildTinySrModel({ scale: 2 });
  const weight = await client.uploadWeight({
    data: sr.bytes,
    format: "onnx",
    taskKind: "super_resolution",
    name: "tiny-sr",
    family: "test",
    version: "1",
    spec: { kind: "super_resolution", scale: 2, receptiveField: sr.receptiveField },
  });
  const png = readFileSync(fixturePath("chelsea.png"));
  const image = await client.uploadImage({ data: png, name: "chelsea.png" });
  const taskIds: string[] = [];
  for (let i = 0; i < TASKS; i++) {
    const { id } = await client.trpc.tasks.create.mutate({
      teamId,
      weightId: weight.id,
      target: { type: "image", imageId: image.id },
      params: {},
    });
    taskIds.push(id);
  }
  const succeeded = () => db.task.count({ where: { id: { in: taskIds }, status: "succeeded" } });
  await vi.waitFor(async () => expect(await succeeded()).toBeGreaterThanOrEqual(3), {
    timeout: 300_000,
    interval: 100,
  });
  const filesBefore = storedFiles();

  await pg.pause();
  // The store is gone: an upload is refused in words, and nothing of it stays.
  const refused = await client.uploadImage({ data: png, name: "during.png" }).catch((e) => e);
  expect(refused).toBeInstanceOf(FileRouteError);
  expect(refused).toMatchObject({ status: 503, code: "unavailable" });
  expect((refused as Error).message).toMatch(/store/i);
  expect(storedFiles()).toEqual(filesBefore);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await pg.resume();

  // The API serves again without a restart, and the node finishes the queue.
  const again = await client.uploadImage({ data: png, name: "after.png" });
  expect(again.width).toBe(451);
  await vi.waitFor(async () => expect(await succeeded()).toBe(TASKS), {
    timeout: 300_000,
    interval: 500,
  });
  const items = await db.taskItem.findMany({
    where: { taskId: { in: taskIds } },
    select: { status: true, resultPath: true },
  });
  expect(items.every((item) => item.status === "succeeded")).toBe(true);
  const results = items.map((item) => item.resultPath as string);
  expect(new Set(results).size).toBe(TASKS);
  expect(results.every((p) => existsSync(path.join(dataDir, p)))).toBe(true);
  await vi.waitFor(async () => expect((await listNodes(db)).map((n) => n.state)).toEqual(["up"]), {
    timeout: 30_000,
    interval: 200,
  });
}, 600_000);
