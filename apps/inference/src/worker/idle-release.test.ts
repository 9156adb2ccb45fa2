// The worker gives memory back when work stops: the real service with its worker process, a
// task with a large input (onnxruntime's arena grows to what the run needed), then the worker
// idles. Its sessions are released and the weight loaded again at once without the arena (the
// node still lists it), its resident memory falls back toward its idle baseline, and the next
// task of the same weight finds the new session ready and computes the same result.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Db } from "@studio/db/client";
import { createTestDatabase, type TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SeededWeight,
  seedPatternImage,
  seedTask,
  seedTeam,
  seedWideSrWeight,
} from "../test-fixtures";
import { canMeasurePeaks, memoryOf, resetPeak } from "../test-memory";
import { type ServiceProcess, spawnService } from "../test-process";

let store: TestDatabase;
let db: Db;
let dataDir: string;
let team: { userId: string; teamId: string };
let weight: SeededWeight;
let image: string;
let service: ServiceProcess | undefined;

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`condition not met; last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const taskStatus = async (id: string) =>
  (await db.task.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;
const nodeWeights = async () => {
  const node = await db.inferenceNode.findFirst({ select: { weights: true } });
  return JSON.parse(node?.weights ?? "[]") as string[];
};

beforeAll(async () => {
  store = await createTestDatabase({ prefix: "inference-idle-" });
  db = store.db;
  dataDir = mkdtempSync(path.join(os.tmpdir(), "inference-idle-data-"));
  for (const d of ["uploads", "weights", "results", "tmp"]) mkdirSync(path.join(dataDir, d));
  team = await seedTeam(db);
  // 64 feature maps of 640x640 px: ~100 MB each.
  weight = await seedWideSrWeight(db, dataDir, team.teamId, 5);
  image = await seedPatternImage(db, dataDir, team, 640);
});

afterAll(async () => {
  if (service && service.child.exitCode === null) {
    service.child.kill("SIGKILL");
    await service.exited;
  }
  await store?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.runIf(canMeasurePeaks)("worker memory after tasks", { timeout: 300_000 }, () => {
  it("releases the sessions when idle and loads the weight again without its arena: memory comes back, the next task finds it ready", async () => {
    service = await spawnService({
      DATA_DIR: dataDir,
      DATABASE_URL: store.url,
      INFERENCE_TOKEN: "idle-release-token",
      WORKER_CONCURRENCY: "1",
      ORT_INTRA_OP_THREADS: "1",
      WORKER_POLL_MS: "50",
      NODE_HEARTBEAT_MS: "200",
      ORT_MEMORY_ARENA: "true",
      SESSION_IDLE_RELEASE_MS: "1000",
    });
    const started = service.logs.find((l) => l.msg === "worker started");
    const pid = started?.pid as number;
    expect(pid).not.toBe(service.pid);
    const baseline = memoryOf(pid, "VmRSS");
    // The kernel's high-water mark from here on (Linux: "5" resets it to the current RSS).
    resetPeak(pid);

    // One tile of the whole image: the arena grows to what that run needed.
    const params = { tile: "off" };
    const first = await seedTask(db, { ...team, weight, params, imageIds: [image] });
    expect(
      await waitFor(
        () => taskStatus(first),
        (s) => s !== "queued" && s !== "running",
      ),
    ).toBe("succeeded");
    const peakGrowth = memoryOf(pid, "VmHWM") - baseline;

    const released = await service.waitForLog(
      (l) => l.msg === "idle: sessions released" && l.pid === pid,
    );
    expect(released.weights).toEqual([weight.sha256]);
    expect(released.renewed).toEqual([weight.sha256]);
    expect(await nodeWeights()).toContain(weight.sha256);
    const afterGrowth = memoryOf(pid, "VmRSS") - baseline;
    expect(afterGrowth).toBeLessThan(peakGrowth / 2);

    // The same weight again: the renewed session (no load), released and renewed again after.
    const second = await seedTask(db, { ...team, weight, params, imageIds: [image] });
    expect(
      await waitFor(
        () => taskStatus(second),
        (s) => s !== "queued" && s !== "running",
      ),
    ).toBe("succeeded");
    const ready = service.logs.filter((l) => l.msg === "model ready" && l.pid === pid);
    expect(ready.map((l) => l.cacheHit)).toEqual([false, true]);
    await waitFor(
      async () =>
        service?.logs.filter((l) => l.msg === "idle: sessions released" && l.pid === pid).length,
      (n) => n === 2,
    );
    const results = await db.taskItem.findMany({
      where: { taskId: { in: [first, second] } },
      select: { resultSha256: true },
    });
    // The renewed session computes the same result.
    expect(new Set(results.map((r) => r.resultSha256)).size).toBe(1);
  });
});
