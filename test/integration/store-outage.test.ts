// The PostgreSQL server goes away for a few seconds while an inference node works through the
// queue and the API takes requests: uploads during the outage fail with a clear error and
// leave nothing behind; afterwards the API and the node carry on by themselves, and every task
// ends succeeded with exactly one result.
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { type createClient, FileRouteError } from "@studio/client";
import { createDb, type Db } from "@studio/db/client";
import { migrateDatabase } from "@studio/db/migrate";
import { type PostgresServer, startPostgresServer } from "@studio/db/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import {
  CHELSEA_PNG,
  filesUnder,
  type InferenceNodeProcess,
  queueTinySrTasks,
  serveApiOnRegistry,
  sharedDataDir,
  startInferenceNode,
} from "./inference-node";
import { expectOneResultEach, waitForNodeStates } from "./scale-out";

const TASKS = 20;

let pg: PostgresServer;
let db: Db;
let url: string;
let dataDir: string;
let node: InferenceNodeProcess;
let server: Awaited<ReturnType<typeof serveApiOnRegistry>>["server"];
let client: ReturnType<typeof createClient>;
let teamId: string;

beforeAll(async () => {
  pg = await startPostgresServer({ prefix: "store-outage-pg-" });
  url = await pg.createDatabase("studio_outage");
  await migrateDatabase(url);
  db = createDb(url);
  dataDir = sharedDataDir("store-outage-data-");
  node = startInferenceNode({ id: "outage-node", databaseUrl: url, dataDir });
  await waitForNodeStates(db, { "outage-node": "up" });
  ({ server, client, teamId } = await serveApiOnRegistry(db, "outage"));
}, 180_000);

afterAll(async () => {
  node?.kill();
  await server?.close();
  await db?.$disconnect();
  await pg?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * What an upload leaves: stored and staged originals (uploads/, incoming/) and the API's `.part`
 * files under tmp/ (the node's own short-lived files in tmp/, results on their way, are not
 * uploads).
 */
const uploadFiles = () => [
  ...filesUnder(path.join(dataDir, "uploads")),
  ...filesUnder(path.join(dataDir, "incoming")),
  ...readdirSync(path.join(dataDir, "tmp")).filter((name) => name.endsWith(".part")),
];

it("survives the store going away for a few seconds", async () => {
  const { taskIds } = await queueTinySrTasks(client, teamId, TASKS);
  const succeeded = () => db.task.count({ where: { id: { in: taskIds }, status: "succeeded" } });
  await vi.waitFor(async () => expect(await succeeded()).toBeGreaterThanOrEqual(3), {
    timeout: 300_000,
    interval: 100,
  });
  const filesBefore = uploadFiles();

  await pg.pause();
  // The store is gone: an upload is refused in words, and nothing of it stays.
  const refused = await client
    .uploadImage({ data: CHELSEA_PNG, name: "during.png" })
    .catch((e) => e);
  expect(refused).toBeInstanceOf(FileRouteError);
  expect(refused).toMatchObject({ status: 503, code: "unavailable" });
  expect((refused as Error).message).toMatch(/store/i);
  expect(uploadFiles()).toEqual(filesBefore);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await pg.resume();

  // The API serves again without a restart, and the node finishes the queue.
  const again = await client.uploadImage({ data: CHELSEA_PNG, name: "after.png" });
  expect(again.width).toBe(451);
  await vi.waitFor(async () => expect(await succeeded()).toBe(TASKS), {
    timeout: 300_000,
    interval: 500,
  });
  const results = await expectOneResultEach(db, taskIds);
  expect(results.every((p) => existsSync(path.join(dataDir, p)))).toBe(true);
  await waitForNodeStates(db, { "outage-node": "up" });
}, 600_000);
