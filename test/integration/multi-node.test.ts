// Scale-out end to end: one API process (this one) and two inference nodes (real processes)
// on one PostgreSQL store and one data directory. Tasks of two kinds are shared by both
// nodes' workers; one node is killed with SIGKILL half-way: every task still ends succeeded,
// with exactly one result per image, previews keep answering through the surviving node, the
// registry shows the dead node down, and the node rejoins when started again.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { createRegistryClient } from "@studio/api/inference";
import { makeTeam, makeUser, resetEnvForTests } from "@studio/api/testing";
import { createClient } from "@studio/client";
import { buildSegmentationModel, buildTinySrModel } from "@studio/core/onnx/testing";
import { listNodes, type NodeStatus } from "@studio/db/nodes";
import { createTestDatabase, type TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const INFERENCE_DIR = path.resolve(import.meta.dirname, "../../apps/inference");
const TOKEN = "multi-node-test-token";
const TASKS = 60;

let store: TestDatabase;
let dataDir: string;
let server: Awaited<ReturnType<typeof serveNode>>;
let client: ReturnType<typeof createClient>;
let teamId: string;
const nodes = new Map<string, ChildProcess>();

/** An inference node as a deployment runs it: its own process (and worker child), own port. */
function startNode(id: string): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: INFERENCE_DIR,
    detached: true,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      NODE_OPTIONS: "",
      DATABASE_URL: store.url,
      DATA_DIR: dataDir,
      INFERENCE_TOKEN: TOKEN,
      INFERENCE_HOST: "127.0.0.1",
      INFERENCE_PORT: "0",
      NODE_ID: id,
      NODE_HEARTBEAT_MS: "200",
      WORKER_CONCURRENCY: "1",
      WORKER_POLL_MS: "200",
      // A killed node's task is taken back after this (heartbeats renew it every half).
      WORKER_LEASE_MS: "3000",
      WORKER_RETRY_BASE_MS: "0",
      ORT_INTRA_OP_THREADS: "1",
      PREVIEW_MAX_CONCURRENT: "1",
      CLEANUP_ENABLED: "false",
      LOG_LEVEL: "warn",
      LOG_TO_FILE: "false",
    },
  });
  nodes.set(id, child);
  return child;
}

/** SIGKILL to the node's whole process group: the service, its worker and preview processes. */
function killNode(id: string) {
  const child = nodes.get(id);
  if (child?.pid && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
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
  dataDir = mkdtempSync(path.join(os.tmpdir(), "multi-node-data-"));
  for (const dir of ["uploads", "weights", "results", "tmp", "logs", "official"]) {
    mkdirSync(path.join(dataDir, dir), { recursive: true });
  }
  // The API in this process works on the same data directory as the nodes.
  process.env.DATA_DIR = dataDir;
  resetEnvForTests();
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
        token: TOKEN,
      }),
    }),
  );
  client = createClient({ url: server.url, token, teamId });
}, 180_000);

afterAll(async () => {
  for (const id of nodes.keys()) killNode(id);
  await server?.close();
  await store?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("two inference nodes on PostgreSQL", () => {
  it("finish every task once through a node's death, keep previews answering, and take the node back", async () => {
    const sr = buildTinySrModel({ scale: 2 });
    const srWeight = await client.uploadWeight({
      data: sr.bytes,
      format: "onnx",
      taskKind: "super_resolution",
      name: "tiny-sr",
      family: "test",
      version: "1",
      spec: { kind: "super_resolution", scale: 2, receptiveField: sr.receptiveField },
    });
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
    killNode("node-a");
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
