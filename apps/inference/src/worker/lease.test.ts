// A model run longer than the task's lease: the heartbeats come from a thread of their own, so
// the lease holds while onnxruntime blocks the worker's thread, and another worker's lease
// maintenance (a real second process) never takes the task away. The control runs the same
// task with heartbeats on the worker's own thread and watches the lease go: it proves the run
// really outlasts the lease on this machine, whatever its speed.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { buildTinySrModel } from "@studio/core/testing";
import pino from "pino";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeededWeight, seedImage, seedTask, seedTeam, seedWeight } from "../test-fixtures";
import { startTestService, type TestService } from "../testing";
import { TSX_EXEC_ARGV } from "../tsx";
import { TimerLeaseKeeper } from "./lease-keeper";
import { TaskWorker } from "./worker";

/** The shortest lease the service accepts (env.ts); the run is made several times longer. */
const LEASE_MS = 1000;
/** How many leases one model run lasts in this test (measured, see `sideFor`). */
const RUN_IN_LEASES = 6;

let service: TestService;
let team: { userId: string; teamId: string };
let weight: SeededWeight;
let side: number;

const RECLAIMER = fileURLToPath(new URL("./test-reclaimer.ts", import.meta.url));

/** Another worker's lease maintenance, in a process of its own (this one blocks in runs). */
async function startReclaimer(databaseUrl: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [...TSX_EXEC_ARGV, RECLAIMER, databaseUrl, String(LEASE_MS / 4)],
    { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, NODE_OPTIONS: "" } },
  );
  const lines: Array<Record<string, unknown>> = [];
  let wake: (() => void) | undefined;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    wake?.();
  });
  const waitFor = async (key: string) => {
    for (;;) {
      const found = lines.find((l) => key in l);
      if (found) return found;
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  };
  await waitFor("ready");
  return {
    async stop(): Promise<{ reclaimed: number; sweeps: number }> {
      child.stdin?.end();
      return (await waitFor("done")) as { reclaimed: number; sweeps: number };
    },
  };
}

async function waitForFinal(taskId: string, timeoutMs = 300_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const task = await service.db.task.findUniqueOrThrow({
      where: { id: taskId },
      select: { status: true, attempts: true, error: true },
    });
    if (["succeeded", "partially_failed", "failed", "canceled"].includes(task.status)) return task;
    if (Date.now() > end) throw new Error(`task ${taskId} still ${task.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A square gradient PNG of `n` px. */
async function seedSquare(n: number) {
  const data = Buffer.alloc(n * n * 3);
  for (let i = 0; i < n * n; i++) {
    data[i * 3] = i % 251;
    data[i * 3 + 1] = (i >> 3) % 253;
    data[i * 3 + 2] = 128;
  }
  const bytes = await sharp(data, { raw: { width: n, height: n, channels: 3 } })
    .png()
    .toBuffer();
  return seedImage(service.db, service.dataDir, { ...team, bytes, width: n, height: n });
}

/** Runs one untiled task of `side` px with `worker`, with a second worker's reclaims going on. */
async function runLongTask(worker: TaskWorker, maxAttempts: number) {
  const imageId = await seedSquare(side);
  const reclaimer = await startReclaimer(service.databaseUrl);
  const taskId = await seedTask(service.db, {
    ...team,
    weight,
    params: { tile: "off", tuning: { preset: "raw" } },
    imageIds: [imageId],
    maxAttempts,
  });
  await worker.start();
  const task = await waitForFinal(taskId);
  await worker.stop(0);
  const sweeps = await reclaimer.stop();
  const item = await service.db.taskItem.findFirstOrThrow({
    where: { taskId },
    select: { status: true, timings: true },
  });
  return { task, sweeps, item };
}

beforeAll(async () => {
  service = await startTestService({
    WORKER_POLL_MS: "50",
    WORKER_LEASE_MS: String(LEASE_MS),
    WORKER_CONCURRENCY: "1",
    WORKER_RETRY_BASE_MS: "60000",
  });
  team = await seedTeam(service.db);
  const model = buildTinySrModel({ scale: 2, layers: 6, hidden: 32, seed: 3 });
  weight = await seedWeight(service.db, service.dataDir, {
    teamId: team.teamId,
    taskKind: "super_resolution",
    bytes: model.bytes,
    spec: { kind: "super_resolution", scale: 2, receptiveField: model.receptiveField },
  });
  // The baseline: one run at 128 px on this machine now; the task's side is chosen so that its
  // one run lasts RUN_IN_LEASES leases (time grows with the pixel count).
  const prepared = await service.models.get(weight.sha256, {
    kind: "super_resolution",
    scale: 2,
    receptiveField: model.receptiveField,
  });
  const base = 128;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await prepared.runner.run(new Float32Array(3 * base * base), [1, 3, base, base]);
    best = Math.min(best, performance.now() - t0);
  }
  side = Math.ceil(base * Math.sqrt((RUN_IN_LEASES * LEASE_MS) / best));
}, 300_000);

afterAll(async () => {
  await service?.cleanup();
});

describe("leases during long model runs", () => {
  it("keeps the lease through a model run several leases long (heartbeat thread)", async () => {
    const { task, sweeps, item } = await runLongTask(service.worker, 1);
    // The premise: the one model run of this task outlasted the lease more than twice.
    expect(JSON.parse(item.timings ?? "{}").runMs).toBeGreaterThan(2 * LEASE_MS);
    expect(sweeps.sweeps).toBeGreaterThan(0);
    expect(sweeps.reclaimed).toBe(0);
    expect(task).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(item.status).toBe("succeeded");
  }, 300_000);

  it("control: heartbeats on the worker's own thread lose the lease in the same run", async () => {
    const worker = new TaskWorker({
      db: service.db,
      logger: pino({ level: "silent" }),
      config: service.config,
      models: service.models,
      files: service.files,
      leaseKeeper: new TimerLeaseKeeper(service.db),
    });
    const { task, sweeps } = await runLongTask(worker, 1);
    expect(sweeps.reclaimed).toBeGreaterThan(0);
    expect(task.status).toBe("failed");
    expect(task.error).toMatch(/lease .* expired/);
  }, 300_000);
});
