// Scale-out end to end: one API process (this one) and two inference nodes (real processes)
// on one PostgreSQL store and one S3 bucket, each machine with its own data directory (no
// shared disk). Tasks of two kinds are shared by both nodes' workers; one node is killed with
// SIGKILL half-way: every task still ends succeeded, with exactly one result per image, in the
// bucket; previews keep answering through the surviving node, the registry shows the dead node
// down, and the node rejoins when started again.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { S3BlobStore } from "@studio/blob/s3";
import { startTestS3Server, type TestS3Server } from "@studio/blob/testing";
import type { createClient } from "@studio/client";
import { buildSegmentationModel } from "@studio/core/testing";
import { listNodes } from "@studio/db/nodes";
import { createTestDatabase, type TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  filesUnder,
  freshDataDir,
  type InferenceNodeProcess,
  queueTasks,
  serveApiOnRegistry,
  startInferenceNode,
  uploadTinySr,
  useDataDirForApi,
} from "./inference-node";
import { expectOneResultEach, waitForNodeStates } from "./scale-out";

const TASKS = 60;

let store: TestDatabase;
let s3: TestS3Server;
/** Each machine's own disk: the web process's, then one per node. */
const dataDirs = new Map<string, string>();
let server: Awaited<ReturnType<typeof serveApiOnRegistry>>["server"];
let client: ReturnType<typeof createClient>;
let teamId: string;
const nodes = new Map<string, InferenceNodeProcess>();

function startNode(id: string) {
  const dataDir = dataDirs.get(id) ?? freshDataDir(`multi-node-${id}-`);
  dataDirs.set(id, dataDir);
  // Sessions stay loaded while idle: the test reads which weights a node's heartbeat lists.
  const env = { ...s3.env, SESSION_IDLE_RELEASE_MS: "0" };
  nodes.set(id, startInferenceNode({ id, databaseUrl: store.url, dataDir, env }));
}

beforeAll(async () => {
  store = await createTestDatabase({ provider: "postgresql", prefix: "multi-node-" });
  s3 = await startTestS3Server();
  // The API in this process has a disk of its own too; bytes go through the bucket.
  const webDir = freshDataDir("multi-node-web-");
  dataDirs.set("web", webDir);
  useDataDirForApi(webDir, s3.env);
  startNode("node-a");
  startNode("node-b");
  await waitForNodeStates(store.db, { "node-a": "up", "node-b": "up" });
  ({ server, client, teamId } = await serveApiOnRegistry(store.db, "multi-node"));
}, 180_000);

afterAll(async () => {
  for (const node of nodes.values()) node.kill();
  await server?.close();
  await store?.cleanup();
  await s3?.cleanup();
  for (const dir of dataDirs.values()) rmSync(dir, { recursive: true, force: true });
});

describe("two inference nodes on PostgreSQL and S3", () => {
  it("finish every task once through a node's death, keep previews answering, and take the node back", async () => {
    const srWeight = await uploadTinySr(client);
    const segWeight = await client.uploadWeight({
      data: buildSegmentationModel({ size: "dynamic", sigmoid: false }).bytes,
      format: "onnx",
      taskKind: "segmentation",
      name: "tiny-seg",
      family: "test",
      version: "1",
      spec: {
        kind: "segmentation",
        colorOrder: "gray",
        size: { mode: "dynamic", multipleOf: 2 },
        activation: "sigmoid",
      },
    });
    expect([srWeight.status, segWeight.status]).toEqual(["ready", "ready"]);
    const image = await client.uploadImage({
      data: readFileSync(fixturePath("chelsea.png")),
      name: "chelsea.png",
    });

    const taskIds = await queueTasks(client, teamId, {
      count: TASKS,
      imageId: image.id,
      weightFor: (i) => (i % 2 === 0 ? srWeight.id : segWeight.id),
    });
    const succeeded = () =>
      store.db.task.count({ where: { id: { in: taskIds }, status: "succeeded" } });

    // Half-way, node A dies without a word.
    await vi.waitFor(async () => expect(await succeeded()).toBeGreaterThanOrEqual(TASKS / 4), {
      timeout: 300_000,
      interval: 200,
    });
    nodes.get("node-a")?.kill();
    expect(await succeeded()).toBeLessThan(TASKS);

    // Previews keep answering: the pool moves off the dead node at once.
    for (let i = 0; i < 3; i++) {
      const preview = await client.trpc.inference.preview.mutate({
        teamId,
        weightId: srWeight.id,
        imageId: image.id,
        crop: { x: 0, y: 0, width: 64, height: 48 },
        params: {},
      });
      expect({ width: preview.width, height: preview.height }).toEqual({ width: 128, height: 96 });
    }

    await waitForNodeStates(store.db, { "node-a": "down", "node-b": "up" });
    const status = await client.trpc.system.status.query();
    expect(Object.fromEntries(status.nodes.list.map((node) => [node.id, node.state]))).toEqual({
      "node-a": "down",
      "node-b": "up",
    });

    await vi.waitFor(async () => expect(await succeeded()).toBe(TASKS), {
      timeout: 300_000,
      interval: 500,
    });
    // The survivor's worker process ran segmentation tasks (no preview used that weight): its
    // heartbeat lists the weight as loaded, which is what routes work to it.
    await vi.waitFor(
      async () => {
        const survivor = (await listNodes(store.db)).find((node) => node.id === "node-b");
        expect(survivor?.weights).toContain(segWeight.sha256);
      },
      { timeout: 30_000, interval: 200 },
    );
    // Exactly one result per task, each in the bucket.
    const keys = await expectOneResultEach(store.db, taskIds);
    const bucket = new S3BlobStore(s3.config);
    const stored = await Promise.all(keys.map((key) => bucket.exists(key)));
    bucket.close();
    expect(stored.every(Boolean)).toBe(true);
    // No machine kept an upload, a weight or a result on its own disk.
    for (const [machine, dir] of dataDirs) {
      const kept = ["uploads", "weights", "results"].flatMap((area) =>
        filesUnder(path.join(dir, area)),
      );
      expect({ machine, kept }).toEqual({ machine, kept: [] });
    }

    // Started again under its id, the node rejoins.
    startNode("node-a");
    await waitForNodeStates(store.db, { "node-a": "up", "node-b": "up" });
    const back = (await listNodes(store.db)).find((node) => node.id === "node-a");
    const health = await fetch(`${back?.url}/health`);
    expect(health.status).toBe(200);
  }, 600_000);
});
