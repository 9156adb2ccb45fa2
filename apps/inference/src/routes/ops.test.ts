import { systemResponseSchema } from "@studio/contracts/inference/system";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedGrayImage, seedTask, seedTeam, seedWeight } from "../test-fixtures";
import { startTestService, type TestService } from "../testing";

let service: TestService;
const auth = () => ({ authorization: `Bearer ${service.token}` });

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.cleanup();
});

describe("operations endpoints", () => {
  it("GET /metrics exposes tasks by state, queue depth, histograms and memory", async () => {
    const team = await seedTeam(service.db);
    const weight = await seedWeight(service.db, service.dataDir, {
      teamId: team.teamId,
      taskKind: "classification",
      bytes: new Uint8Array([1]),
      spec: { kind: "classification" },
    });
    const image = await seedGrayImage(service.db, service.dataDir, team);
    for (let i = 0; i < 3; i++) {
      await seedTask(service.db, {
        ...team,
        weight,
        imageIds: [image],
      });
    }
    const res = await fetch(`${service.url}/metrics`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^inference_tasks\{state="queued"\} 3$/m);
    expect(text).toMatch(/^inference_tasks\{state="running"\} 0$/m);
    expect(text).toMatch(/^inference_queue_depth 3$/m);
    for (const name of [
      "inference_task_run_seconds",
      "inference_item_run_seconds",
      "inference_lease_reclaims_total",
      "inference_session_cache_total",
      "inference_process_resident_memory_bytes",
      "inference_nodejs_heap_size_used_bytes",
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    const unauthorized = await fetch(`${service.url}/metrics`);
    expect(unauthorized.status).toBe(401);
  });

  it("GET /v1/system reports CPU, memory, providers, versions and the queue", async () => {
    const res = await fetch(`${service.url}/v1/system`, { headers: auth() });
    expect(res.status).toBe(200);
    const body = systemResponseSchema.parse(await res.json());
    expect(body.cpu.cores).toBeGreaterThan(0);
    expect(body.cpu.loadAverage).toHaveLength(3);
    expect(body.memory.totalBytes).toBeGreaterThan(body.memory.processRssBytes);
    expect(body.providers.map((p) => p.name)).toContain("cpu");
    expect(body.versions).toMatchObject({ node: process.versions.node, onnxruntime: "1.30.0" });
    expect(body.versions.sharp).toMatch(/^\d+\.\d+/);
    expect(body.queue).toEqual({ queued: 3, running: 0 });
    expect(body.gpu.cudaAvailable).toBe(false);
  });
});
