// Scale-out end to end: one API process (this one) and two inference nodes (real processes)
// on one PostgreSQL store and one data directory. Tasks of two kinds are shared by both
// nodes' workers; one node is killed with SIGKILL half-way: every task still ends succeeded,
// with exactly one result per image, previews keep answering through the surviving node, the
// registry shows the dead node down, and the node rejoins when started again.
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { createRegistryClient } from "@studio/api/inference";
import { makeTeam, makeUser } from "@studio/api/testing";
import { createClient } from "@studio/client";
import { buildSegmentationModel } from "@studio/core/testing";
import { listNodes, type NodeStatus } from "@studio/db/nodes";
import { createTestDatabase, type TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type InferenceNodeProcess,
  NODE_TOKEN,
  sharedDataDir,
  startInferenceNode,
  uploadTinySr,
} from "./inference-node";

const TASKS = 60;

let store: TestDatabase;
let dataDir: string;
let server: Awaited<ReturnType<typeof serveNode>>;
let client: ReturnType<typeof createClient>;
let teamId: string;
const nodes = new Map<string, InferenceNodeProcess>();

function startNode(id: string) {
  nodes.set(id, startInferenceNode({ id, databaseUrl: store.url, dataDir }));
}

async function registry(): Promise<Map<string, NodeStatus>> {
  return new Map((await listNodes(store.db)).map((node) => [node.id, node]));
}

async function waitForState(id: string, state: NodeStatus["state"]) {
  await vi.waitFor(async () => expect((await registry()).get(id)?.state).toBe(state), {
    timeout: 90_000,
    interval: 200,
  });
}

beforeAll(async () => {
  store = await createTestDatabase({ provider: "postgresql", prefix: "multi-node-" });
  // The API in this process works on the same data directory as the nodes.
  dataDir = sharedDataDir("multi-node-data-");
  startNode("node-a");
  startNode("node-b");
  await Promise.all([waitForState("node-a", "up"), waitForState("node-b", "up")]);

  const admin = await makeUser(store.db, { siteAdmin: true });
  teamId = (await makeTeam(store.db, [{ userId: admin.id, role: "ADMIN" }])).id;
  const { token } = await createApiToken(store.db, admin.id, { name: "multi-node" });
  server = await serveNode(
    createApiHandler({
      db: store.db,
      // No fallback: every call must be routed through the registry.
      inference: createRegistryClient(store.db, {
        fallbackUrl: "http://127.0.0.1:9",
        token: NODE_TOKEN,
      }),
    }),
  );
  client = createClient({ url: server.url, token, teamId });
}, 180_000);

afterAll(async () => {
  for (const node of nodes.values()) node.kill();
  await server?.close();
  await store?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("two inference nodes on PostgreSQL", () => {
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

    const taskIds: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      const { id } = await client.trpc.tasks.create.mutate({
        teamId,
        weightId: i % 2 === 0 ? srWeight.id : segWeight.id,
        target: { type: "image", imageId: image.id },
        params: {},
      });
      taskIds.push(id);
    }
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

    await waitForState("node-a", "down");
    const status = await client.trpc.system.status.query();
    expect(Object.fromEntries(status.nodes.list.map((node) => [node.id, node.state]))).toEqual({
      "node-a": "down",
      "node-b": "up",
    });

    await vi.waitFor(async () => expect(await succeeded()).toBe(TASKS), {
      timeout: 300_000,
      interval: 500,
    });
    // Exactly one result per task: one item each, done once, its file in place.
    const items = await store.db.taskItem.findMany({
      where: { taskId: { in: taskIds } },
      select: { status: true, resultPath: true },
    });
    expect(items).toHaveLength(TASKS);
    expect(items.every((item) => item.status === "succeeded")).toBe(true);
    const paths = items.map((item) => item.resultPath as string);
    expect(new Set(paths).size).toBe(TASKS);
    expect(paths.every((p) => existsSync(path.join(dataDir, p)))).toBe(true);

    // Started again under its id, the node rejoins.
    startNode("node-a");
    await waitForState("node-a", "up");
    const back = (await registry()).get("node-a");
    const health = await fetch(`${back?.url}/health`);
    expect(health.status).toBe(200);
  }, 600_000);
});
