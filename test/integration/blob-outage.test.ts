// The S3 server goes away for a few seconds while an inference node works through the queue
// and the API takes uploads (PostgreSQL + S3, each machine with its own disk): uploads during
// the outage fail with a clear error and leave nothing behind (no row, no object); afterwards
// the API and the node carry on by themselves, and every task ends succeeded exactly once with
// its result in the bucket.
import { rmSync } from "node:fs";
import { S3BlobStore } from "@studio/blob/s3";
import { startTestS3Server, type TestS3Server } from "@studio/blob/testing";
import { type createClient, FileRouteError } from "@studio/client";
import { createTestDatabase, type TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import {
  CHELSEA_PNG,
  freshDataDir,
  type InferenceNodeProcess,
  queueTinySrTasks,
  serveApiOnRegistry,
  startInferenceNode,
  useDataDirForApi,
} from "./inference-node";
import { expectOneResultEach, waitForNodeStates } from "./scale-out";

const TASKS = 20;

let store: TestDatabase;
let s3: TestS3Server;
let bucket: S3BlobStore;
const dataDirs: string[] = [];
let node: InferenceNodeProcess;
let server: Awaited<ReturnType<typeof serveApiOnRegistry>>["server"];
let client: ReturnType<typeof createClient>;
let teamId: string;

beforeAll(async () => {
  store = await createTestDatabase({ provider: "postgresql", prefix: "blob-outage-" });
  s3 = await startTestS3Server();
  bucket = new S3BlobStore(s3.config);
  const webDir = freshDataDir("blob-outage-web-");
  const nodeDir = freshDataDir("blob-outage-node-");
  dataDirs.push(webDir, nodeDir);
  // Short S3 time-outs so calls during the outage give up in seconds, not minutes.
  const s3Env = { ...s3.env, S3_TIMEOUT_MS: "2000", S3_MAX_ATTEMPTS: "2" };
  useDataDirForApi(webDir, s3Env);
  node = startInferenceNode({
    id: "blob-outage-node",
    databaseUrl: store.url,
    dataDir: nodeDir,
    env: s3Env,
  });
  await waitForNodeStates(store.db, { "blob-outage-node": "up" });
  ({ server, client, teamId } = await serveApiOnRegistry(store.db, "blob-outage"));
}, 180_000);

afterAll(async () => {
  node?.kill();
  await server?.close();
  bucket?.close();
  await store?.cleanup();
  await s3?.cleanup();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function keysIn(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of bucket.list(prefix)) keys.push(info.key);
  return keys;
}

it("survives the object store going away for a few seconds", async () => {
  const { taskIds, weight, image } = await queueTinySrTasks(client, teamId, TASKS);
  const preview = () =>
    client.trpc.inference.preview.mutate({
      teamId,
      weightId: weight.id,
      imageId: image.id,
      crop: { x: 0, y: 0, width: 32, height: 32 },
      params: {},
    });
  const succeeded = () =>
    store.db.task.count({ where: { id: { in: taskIds }, status: "succeeded" } });
  await vi.waitFor(async () => expect(await succeeded()).toBeGreaterThanOrEqual(3), {
    timeout: 300_000,
    interval: 100,
  });
  const uploadsBefore = await keysIn("uploads/");
  const imagesBefore = await store.db.image.count();

  await s3.stop();
  // The object store is gone: an upload is refused in words, and nothing of it stays.
  const refused = await client
    .uploadImage({ data: CHELSEA_PNG, name: "during.png" })
    .catch((e) => e);
  expect(refused).toBeInstanceOf(FileRouteError);
  expect(refused).toMatchObject({ status: 503, code: "unavailable" });
  expect((refused as Error).message).toMatch(/storage/i);
  expect(await store.db.image.count()).toBe(imagesBefore);
  // A preview needs the image from the store: the user hears about the storage, not about a
  // node, because every node shares it (and no node is held responsible).
  const previewRefused = await preview().catch((e: unknown) => e);
  expect(previewRefused).toMatchObject({ data: { appCode: "unavailable" } });
  expect((previewRefused as Error).message).toMatch(/^File storage is unreachable/);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await s3.restart();

  expect(await keysIn("uploads/")).toEqual(uploadsBefore);
  expect(await keysIn("incoming/")).toEqual([]);
  // The API serves again without a restart, and the node finishes the queue.
  const again = await client.uploadImage({ data: CHELSEA_PNG, name: "after.png" });
  expect(again.width).toBe(451);
  expect((await preview()).width).toBe(64);
  await vi.waitFor(async () => expect(await succeeded()).toBe(TASKS), {
    timeout: 300_000,
    interval: 500,
  });
  const results = await expectOneResultEach(store.db, taskIds);
  const stored = await Promise.all(results.map((key) => bucket.exists(key)));
  expect(stored.every(Boolean)).toBe(true);
  await waitForNodeStates(store.db, { "blob-outage-node": "up" });
}, 600_000);
