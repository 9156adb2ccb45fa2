// The worker as real processes on one real store file: races, SIGKILL, cancel, SIGTERM; and
// the preview processes at SIGTERM.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildClassifierModel, buildTinySrModel } from "@studio/core/testing";
import type { Db } from "@studio/db/client";
import { requestCancel } from "@studio/db/queue";
import { createTestDatabase, type TestDatabase } from "@studio/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SeededWeight } from "../test-fixtures";
import { seedCatImage, seedGrayImage, seedTask, seedTeam, seedWeight } from "../test-fixtures";
import { isRunning, type ServiceProcess, spawnService } from "../test-process";

let store: TestDatabase;
let db: Db;
let dataDir: string;
let team: { userId: string; teamId: string };
let cat: string;
let srWeight: SeededWeight;
const started: ServiceProcess[] = [];

const TOKEN = "process-test-token";

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    DATABASE_URL: store.url,
    INFERENCE_TOKEN: TOKEN,
    WORKER_CONCURRENCY: "1",
    ORT_INTRA_OP_THREADS: "1",
    WORKER_POLL_MS: "50",
    WORKER_LEASE_MS: "2000",
    WORKER_RETRY_BASE_MS: "200",
    WORKER_CANCEL_POLL_MS: "50",
    ...extra,
  };
}

async function start(extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const p = await spawnService(env(extra));
  started.push(p);
  return p;
}

async function waitFor<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 90_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end)
      throw new Error(`condition not met in time; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const final = new Set(["succeeded", "partially_failed", "failed", "canceled"]);
const taskRow = (id: string) =>
  db.task.findUniqueOrThrow({
    where: { id },
    select: { status: true, attempts: true, progress: true, error: true, itemsDone: true },
  });

beforeAll(async () => {
  store = await createTestDatabase({ prefix: "inference-proc-" });
  db = store.db;
  dataDir = mkdtempSync(path.join(os.tmpdir(), "inference-proc-data-"));
  for (const d of ["uploads", "weights", "results", "tmp"]) mkdirSync(path.join(dataDir, d));
  team = await seedTeam(db);
  cat = await seedCatImage(db, dataDir, team);
  // Heavier than the default tiny model so that one tile takes a measurable time.
  const sr = buildTinySrModel({ scale: 2, layers: 6, hidden: 24 });
  srWeight = await seedWeight(db, dataDir, {
    teamId: team.teamId,
    taskKind: "super_resolution",
    bytes: sr.bytes,
    spec: { kind: "super_resolution", scale: 2, receptiveField: sr.receptiveField },
  });
});

afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill("SIGKILL");
      await p.exited;
    }
  }
});

afterAll(async () => {
  await store?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("task worker processes", { timeout: 240_000 }, () => {
  it("two workers race over 50 tasks and each task runs exactly once", async () => {
    const cls = buildClassifierModel({ classes: 3, size: 16 });
    const weight = await seedWeight(db, dataDir, {
      teamId: team.teamId,
      taskKind: "classification",
      bytes: cls.bytes,
      spec: { kind: "classification", size: { mode: "fixed", width: 16, height: 16 } },
    });
    const image = await seedGrayImage(db, dataDir, team);
    const [a, b] = await Promise.all([
      start({ WORKER_POLL_MS: "10" }),
      start({ WORKER_POLL_MS: "10" }),
    ]);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push(
        await seedTask(db, {
          ...team,
          weight,
          imageIds: [image],
        }),
      );
    }
    await waitFor(
      () => db.task.count({ where: { id: { in: ids }, status: "succeeded" } }),
      (n) => n === 50,
    );
    const tasks = await db.task.findMany({
      where: { id: { in: ids } },
      select: { id: true, attempts: true },
    });
    expect(tasks.every((t) => t.attempts === 1)).toBe(true);
    const runs = new Map<string, number>();
    for (const p of [a, b]) {
      for (const line of p?.logs ?? []) {
        if (line.msg === "task started")
          runs.set(line.taskId as string, (runs.get(line.taskId as string) ?? 0) + 1);
      }
    }
    expect(ids.map((id) => runs.get(id) ?? 0)).toEqual(ids.map(() => 1));
    // The worker runs in a child process; its metrics reach the service's /metrics.
    let claimed = 0;
    for (const p of [a, b]) {
      const res = await fetch(`${p?.url}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const text = await res.text();
      claimed += Number(/^inference_tasks_claimed_total (\d+)$/m.exec(text)?.[1] ?? 0);
    }
    expect(claimed).toBe(50);
    const items = await db.taskItem.findMany({
      where: { taskId: { in: ids } },
      select: { status: true, resultPath: true },
    });
    expect(items.filter((i) => i.status === "succeeded" && i.resultPath)).toHaveLength(50);
  });

  it("a worker killed with SIGKILL mid-task: another reclaims it and finishes with one result per item", async () => {
    const taskId = await seedTask(db, {
      ...team,
      weight: srWeight,
      params: { tile: 64 },
      imageIds: [cat, cat, cat],
    });
    const first = await start();
    await waitFor(
      () => db.taskItem.count({ where: { taskId, status: "succeeded" } }),
      (n) => n >= 1,
    );
    const before = await taskRow(taskId);
    expect(before.status).toBe("running");
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const second = await start();
    const done = await waitFor(
      () => taskRow(taskId),
      (t) => final.has(t.status),
    );
    expect(done).toMatchObject({ status: "succeeded", attempts: 2, itemsDone: 3 });
    const items = await db.taskItem.findMany({
      where: { taskId },
      orderBy: { position: "asc" },
      select: { status: true, resultPath: true },
    });
    expect(items.map((i) => i.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    const paths = items.map((i) => i.resultPath ?? "");
    expect(new Set(paths).size).toBe(3);
    for (const p of paths) expect(existsSync(path.join(dataDir, p))).toBe(true);
    // Item 0 was finished by the killed worker and kept; the rest came from attempt 2.
    expect(paths[0]).toMatch(/0000-a1\.png$/);
    expect(paths[2]).toMatch(/0002-a2\.png$/);
    expect(second.logs.some((l) => l.msg === "reclaimed tasks whose lease expired")).toBe(true);
  });

  it("cancel stops a running tiled task within one tile", async () => {
    const taskId = await seedTask(db, {
      ...team,
      weight: srWeight,
      params: { tile: 32 },
      imageIds: [cat],
    });
    await start({ WORKER_PROGRESS_MS: "0" });
    const itemProgress = () =>
      db.taskItem.findFirstOrThrow({ where: { taskId }, select: { progress: true, status: true } });
    const first = await waitFor(itemProgress, (i) => i.progress > 0.05);
    const firstAt = Date.now();
    // The pace of tiles on this machine right now, to know how many fit in one cancel poll.
    await new Promise((r) => setTimeout(r, 200));
    const paced = await itemProgress();
    const tilesPerMs = ((paced.progress - first.progress) * 150) / (Date.now() - firstAt);
    const result = await requestCancel(db, { taskId });
    expect(result).toBe("cancel_requested");
    const atCancel = (await itemProgress()).progress;
    const canceledAt = Date.now();
    const done = await waitFor(
      () => taskRow(taskId),
      (t) => final.has(t.status),
    );
    const elapsed = Date.now() - canceledAt;
    expect(done.status).toBe("canceled");
    const item = await itemProgress();
    expect(item.status).toBe("canceled");
    // 451x300 at tile 32 is 15 x 10 = 150 tiles: one tile is 1/150 of the item. The worker
    // learns of the cancel at its next poll (every 50 ms here, plus a query), and then stops
    // within one tile; progress rows may lag one write behind, hence two tiles of slack.
    const tiles = 150;
    const untilNoticed = Math.ceil(tilesPerMs * (50 + 50));
    expect(Math.round((item.progress - atCancel) * tiles)).toBeLessThanOrEqual(untilNoticed + 2);
    expect(item.progress).toBeLessThan(0.9);
    expect(elapsed).toBeLessThan(10_000);
  });

  it("SIGTERM lets the running task finish and exits 0", async () => {
    const taskId = await seedTask(db, {
      ...team,
      weight: srWeight,
      params: { tile: "off" },
      imageIds: [cat],
    });
    const p = await start({ WORKER_DRAIN_MS: "60000" });
    await waitFor(
      () => taskRow(taskId),
      (t) => t.status === "running",
    );
    // While the worker process is inside one long onnxruntime run, the HTTP API answers at once.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      expect((await fetch(`${p.url}/health`)).status).toBe(200);
      latencies.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Math.max(...latencies)).toBeLessThan(2_500);
    p.child.kill("SIGTERM");
    const exit = await p.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await taskRow(taskId)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(p.logs.some((l) => l.msg === "stopped")).toBe(true);
  });

  it("SIGTERM past the grace period hands the task back to the queue and exits 0", async () => {
    const taskId = await seedTask(db, {
      ...team,
      weight: srWeight,
      params: { tile: 32 },
      imageIds: [cat, cat],
    });
    const p = await start({ WORKER_DRAIN_MS: "200" });
    await waitFor(
      () => taskRow(taskId),
      (t) => t.status === "running",
    );
    const t0 = Date.now();
    p.child.kill("SIGTERM");
    const exit = await p.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(10_000);
    const task = await taskRow(taskId);
    expect(task).toMatchObject({ status: "queued", attempts: 0 });
    // Another worker picks it up and completes it.
    await start();
    expect(
      await waitFor(
        () => taskRow(taskId),
        (t) => final.has(t.status),
      ),
    ).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});

describe("preview processes", { timeout: 120_000 }, () => {
  it("SIGTERM answers the preview in flight, stops the preview processes and exits 0", async () => {
    const p = await start({ WORKER_ENABLED: "false" });
    // main.ts starts one ahead of the first preview.
    const previewPid = (await p.waitForLog((l) => l.msg === "preview process started"))
      .childPid as number;
    expect(isRunning(previewPid)).toBe(true);
    let settled = false;
    const inFlight = fetch(`${p.url}/v1/preview`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        weightId: srWeight.weightId,
        imageId: cat,
        crop: { x: 0, y: 0, width: 451, height: 300 },
        params: { tile: "off" },
      }),
    }).finally(() => {
      settled = true;
    });
    await waitFor(
      async () => {
        const sys = await fetch(`${p.url}/v1/system`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        return ((await sys.json()) as { preview: { running: number } }).preview.running;
      },
      (running) => running === 1 || settled,
    );
    const t0 = Date.now();
    p.child.kill("SIGTERM");
    expect((await inFlight).status).toBe(200);
    expect(await p.exited).toEqual({ code: 0, signal: null });
    // Not held up by the answered request's keep-alive connection (server.ts).
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(isRunning(previewPid)).toBe(false);
  });
});
