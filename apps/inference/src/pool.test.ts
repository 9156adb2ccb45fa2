// The inference pool (@studio/contracts/inference/pool) against two real nodes of one
// installation: calls go where the weight is held, then to the least loaded node; a stopped node
// hands its calls to the other and is left out after failing in a row until its health check
// passes again.
import { createInferencePool, type InferenceNodeInfo } from "@studio/contracts/inference/pool";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type SeededWeight, seedCatImage, seedTeam, seedTinySrWeight } from "./test-fixtures";
import { startTestService, type TestService } from "./testing";

let first: TestService;
let second: TestService;
let weight: SeededWeight;
let imageId: string;

beforeAll(async () => {
  first = await startTestService();
  second = await startTestService({}, { sharing: first });
  const team = await seedTeam(first.db);
  weight = await seedTinySrWeight(first.db, first.dataDir, team.teamId);
  imageId = await seedCatImage(first.db, first.dataDir, team);
});
afterAll(async () => {
  await second?.cleanup();
  await first?.cleanup();
});

/** Previews answered so far by one node, from its own metrics. */
async function previewsServed(node: TestService): Promise<number> {
  const res = await fetch(`${node.url}/metrics`, {
    headers: { authorization: `Bearer ${node.token}` },
  });
  const line = (await res.text())
    .split("\n")
    .find((l) => l.startsWith('inference_previews_total{outcome="ok"} '));
  return Number(line?.split(" ")[1] ?? 0);
}

const previewInput = () => ({
  weightId: weight.weightId,
  imageId,
  crop: { x: 0, y: 0, width: 64, height: 48 },
  params: {},
});

function poolOver(nodes: () => InferenceNodeInfo[], extra: { probeIntervalMs?: number } = {}) {
  return createInferencePool({
    token: first.token,
    listNodes: async () => nodes(),
    weightOf: async (method) => (method === "preview" ? weight.sha256 : undefined),
    retries: 1,
    retryDelayMs: 10,
    ...extra,
  });
}

const node = (svc: TestService, info: Partial<InferenceNodeInfo> = {}): InferenceNodeInfo => ({
  url: svc.url,
  load: 0,
  capacity: 1,
  weights: [],
  ...info,
});

describe("a node's entry in the registry", () => {
  it("names the device /v1/system finds usable, not every backend onnxruntime lists", async () => {
    const system = await fetch(`${first.url}/v1/system`, {
      headers: { authorization: `Bearer ${first.token}` },
    });
    const { gpu } = (await system.json()) as { gpu: { cudaAvailable: boolean } };
    const row = await first.db.inferenceNode.findUniqueOrThrow({
      where: { id: first.node.id },
      select: { device: true },
    });
    expect(row.device).toBe(gpu.cudaAvailable ? "cuda" : "cpu");
  });
});

describe("an inference pool over two nodes", { timeout: 120_000 }, () => {
  it("sends a call to the node that holds its weight, else to the least loaded", async () => {
    const before = [await previewsServed(first), await previewsServed(second)];
    // The second node is busier, but it holds the weight.
    const holder = poolOver(() => [
      node(first),
      node(second, { load: 1, weights: [weight.sha256] }),
    ]);
    await holder.preview(previewInput());
    // Nobody holds it: the least loaded per slot wins (1 of 4 slots busy vs 1 of 1).
    const loadBased = poolOver(() => [
      node(first, { load: 1, capacity: 4 }),
      node(second, { load: 1 }),
    ]);
    await loadBased.preview(previewInput());
    await loadBased.preview(previewInput());
    expect([
      (await previewsServed(first)) - (before[0] as number),
      (await previewsServed(second)) - (before[1] as number),
    ]).toEqual([2, 1]);
  });

  it("hands calls of a stopped node to the other, leaves it out, and takes it back once healthy", async () => {
    // The second node is the preferred one (less loaded).
    const pool = poolOver(() => [node(first, { load: 1 }), node(second)], {
      probeIntervalMs: 0,
    });
    await second.stop();
    await first.stop();
    // Both down: the call fails as "unavailable" after its retry (two failures for each node).
    await expect(pool.preview(previewInput())).rejects.toThrow("inference service unavailable");
    expect(pool.leftOut()).toEqual([]);
    await first.restart();
    const servedBefore = await previewsServed(first);
    // The preferred node is still down: the call answers from the other one, and that third
    // failure in a row leaves the preferred node out, so the next call goes straight to the
    // healthy node.
    for (let i = 0; i < 2; i++) {
      const answer = await pool.preview(previewInput());
      expect(answer.width).toBeGreaterThan(0);
    }
    expect((await previewsServed(first)) - servedBefore).toBe(2);
    expect(pool.leftOut()).toEqual([second.url]);
    // Back up: a call lets the pool check the left-out node's health in the background; once
    // that passes, the node is in again.
    await second.restart();
    await vi.waitFor(
      async () => {
        await pool.health();
        expect(pool.leftOut()).toEqual([]);
      },
      { timeout: 10_000 },
    );
  });
});
