// Benchmark of the task worker as real processes on a real SQLite store:
//   1. sustained throughput of tiny tasks (claim, run, complete) with 1 and 2 worker processes;
//   2. end-to-end latency from submit to succeeded of a small super-resolution task.
// Usage: pnpm --filter @studio/inference bench [-- --tasks 200 --latency-runs 10]
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildClassifierModel, buildTinySrModel } from "@studio/core/testing";
import type { Db } from "@studio/db/client";
import { createTestDatabase } from "@studio/db/testing";
import { seedGrayImage, seedTask, seedTeam, seedWeight } from "../src/test-fixtures";
import { type ServiceProcess, spawnService } from "../src/test-process";

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    tasks: { type: "string", default: "100" },
    "latency-runs": { type: "string", default: "8" },
    "poll-ms": { type: "string", default: "100" },
  },
});
const TASKS = Number(values.tasks);
const RUNS = Number(values["latency-runs"]);
const POLL_MS = values["poll-ms"] ?? "100";

async function waitAll(db: Db, ids: string[]): Promise<void> {
  for (;;) {
    const done = await db.task.count({
      where: {
        id: { in: ids },
        status: { in: ["succeeded", "failed", "partially_failed", "canceled"] },
      },
    });
    if (done === ids.length) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const store = await createTestDatabase({ prefix: "inference-bench-" });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "inference-bench-data-"));
  for (const d of ["uploads", "weights", "results", "tmp"]) mkdirSync(path.join(dataDir, d));
  const db = store.db;
  const team = await seedTeam(db);
  const tinyImage = await seedGrayImage(db, dataDir, team);
  const cls = await seedWeight(db, dataDir, {
    teamId: team.teamId,
    taskKind: "classification",
    bytes: buildClassifierModel({ classes: 3, size: 16 }).bytes,
    spec: { kind: "classification", size: { mode: "fixed", width: 16, height: 16 } },
  });
  const srModel = buildTinySrModel({ scale: 2 });
  const sr = await seedWeight(db, dataDir, {
    teamId: team.teamId,
    taskKind: "super_resolution",
    bytes: srModel.bytes,
    spec: { kind: "super_resolution", scale: 2, receptiveField: srModel.receptiveField },
  });

  const rows: string[][] = [];
  for (const workers of [1, 2]) {
    const procs: ServiceProcess[] = await Promise.all(
      Array.from({ length: workers }, () =>
        spawnService({
          DATA_DIR: dataDir,
          DATABASE_URL: store.url,
          INFERENCE_TOKEN: "bench",
          LOG_LEVEL: "info",
          WORKER_CONCURRENCY: "1",
          ORT_INTRA_OP_THREADS: "1",
          WORKER_POLL_MS: POLL_MS,
        }),
      ),
    );
    try {
      // Warm the session caches so that model loading is not part of the numbers.
      const warm = [];
      for (let i = 0; i < workers * 2; i++) {
        warm.push(
          await seedTask(db, {
            ...team,
            weight: cls,
            imageIds: [tinyImage],
          }),
        );
        warm.push(
          await seedTask(db, {
            ...team,
            weight: sr,
            imageIds: [tinyImage],
          }),
        );
      }
      await waitAll(db, warm);

      const ids: string[] = [];
      const t0 = performance.now();
      for (let i = 0; i < TASKS; i++) {
        ids.push(
          await seedTask(db, {
            ...team,
            weight: cls,
            imageIds: [tinyImage],
          }),
        );
      }
      await waitAll(db, ids);
      const seconds = (performance.now() - t0) / 1000;
      rows.push([
        `${workers}`,
        "tiny classification tasks",
        `${TASKS}`,
        `${(TASKS / seconds).toFixed(1)} tasks/s`,
        `${seconds.toFixed(2)} s total`,
      ]);

      const latencies: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        const id = await seedTask(db, {
          ...team,
          weight: sr,
          imageIds: [tinyImage],
        });
        await waitAll(db, [id]);
        latencies.push(performance.now() - start);
      }
      latencies.sort((a, b) => a - b);
      rows.push([
        `${workers}`,
        "SR x2 102x102, submit -> succeeded",
        `${RUNS}`,
        `p50 ${percentile(latencies, 50).toFixed(0)} ms`,
        `p90 ${percentile(latencies, 90).toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms`,
      ]);
    } finally {
      for (const p of procs) p.child.kill("SIGTERM");
      await Promise.all(procs.map((p) => p.exited));
    }
  }

  const header = ["workers", "workload", "n", "result", "detail"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(
    `\ninference worker benchmark (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "cpu"}, SQLite, poll ${POLL_MS} ms, 1 ORT thread per worker)`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));

  await store.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
}

await main();
