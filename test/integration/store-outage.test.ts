// The PostgreSQL server goes away for a few seconds while an inference node works through the
// queue and the API takes requests: uploads during the outage fail with a clear error and
// leave nothing behind; afterwards the API and the node carry on by themselves, and every task
// ends succeeded with exactly one result.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { createRegistryClient } from "@studio/api/inference";
import { makeTeam, makeUser } from "@studio/api/testing";
import { createClient, FileRouteError } from "@studio/client";
import { createDb, type Db } from "@studio/db/client";
import { migrateDatabase } from "@studio/db/migrate";
import { listNodes } from "@studio/db/nodes";
import { type PostgresServer, startPostgresServer } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import {
  type InferenceNodeProcess,
  NODE_TOKEN,
  sharedDataDir,
  startInferenceNode,
  uploadTinySr,
} from "./inference-node";

const TASKS = 20;

let pg: PostgresServer;
let db: Db;
let url: string;
let dataDir: string;
let node: InferenceNodeProcess;
let server: Awaited<ReturnType<typeof serveNode>>;
let client: ReturnType<typeof createClient>;
let teamId: string;

beforeAll(async () => {
  pg = await startPostgresServer({ prefix: "store-outage-pg-" });
  url = await pg.createDatabase("studio_outage");
  await migrateDatabase(url);
  db = createDb(url);
  dataDir = sharedDataDir("store-outage-data-");
  node = startInferenceNode({ id: "outage-node", databaseUrl: url, dataDir });
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
      inference: createRegistryClient(db, { fallbackUrl: "http://127.0.0.1:9", token: NODE_TOKEN }),
    }),
  );
  client = createClient({ url: server.url, token, teamId });
}, 180_000);

afterAll(async () => {
  node?.kill();
  await server?.close();
  await db?.$disconnect();
  await pg?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * What an upload leaves: stored originals under uploads/ and the API's `.part` files under tmp/
 * (the node's own short-lived files in tmp/, results on their way, are not uploads).
 */
const uploadFiles = () => [
  ...readdirSync(path.join(dataDir, "uploads"), { recursive: true }).map(String),
  ...readdirSync(path.join(dataDir, "tmp")).filter((name) => name.endsWith(".part")),
];

it("survives the store going away for a few seconds", async () => {
  const weight = await uploadTinySr(client);
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
  const filesBefore = uploadFiles();

  await pg.pause();
  // The store is gone: an upload is refused in words, and nothing of it stays.
  const refused = await client.uploadImage({ data: png, name: "during.png" }).catch((e) => e);
  expect(refused).toBeInstanceOf(FileRouteError);
  expect(refused).toMatchObject({ status: 503, code: "unavailable" });
  expect((refused as Error).message).toMatch(/store/i);
  expect(uploadFiles()).toEqual(filesBefore);
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
