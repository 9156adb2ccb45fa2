// `pnpm --filter @studio/inference bench:speed`: the default super-resolution task against a
// bare model run, side by side in one run (issue #16), on this machine:
//   1. bare `session.run` of the official Real-ESRGAN AnimeVideo v3 x4, untiled, on a 1024 px
//      image, in this process with the worker's thread count and session options;
//   2. the default task (params {}: tile auto, gentle tuning, PNG written) end to end: stored as
//      queued -> seen `succeeded` in the store, run by the service's worker process on SQLite;
//   3. the same task in the fast CPU mode (params { precision: "int8" }), after the service's
//      INT8 check (POST /v1/weights/int8) built and gated the quantised model;
//   4. previews of a 256 px crop through POST /v1/preview: the first (the model runs), then
//      slider changes (other tuning: the model's output comes from the preview's cache).
// The official weights come from `pnpm weights:fetch` (DATA_DIR/official).
// Usage: pnpm --filter @studio/inference bench:speed [-- --runs 3 --threads 2 --side 1024]
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { decodeImage, encodePng } from "@studio/core/image";
import { ortSessionOptions } from "@studio/core/runtime";
import { resizeBilinear } from "@studio/core/tensor";
import type { Db } from "@studio/db/client";
import { createTestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import { seedImage, seedTask, seedTeam, seedWeight } from "../src/test-fixtures";
import { spawnService } from "../src/test-process";

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
    side: { type: "string", default: "1024" },
    "data-dir": { type: "string", default: path.resolve(import.meta.dirname, "../../../data") },
  },
});
const RUNS = Number(values.runs);
const THREADS = Number(values.threads);
const SIDE = Number(values.side);
const MODEL = "realesr-animevideov3-x4";
const officialDir = path.join(values["data-dir"] ?? "", "official");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const best = (xs: number[]) => Math.min(...xs);

async function waitSucceeded(db: Db, id: string): Promise<void> {
  for (;;) {
    const t = await db.task.findUniqueOrThrow({
      where: { id },
      select: { status: true, error: true },
    });
    if (t.status === "succeeded") return;
    if (["failed", "partially_failed", "canceled"].includes(t.status))
      throw new Error(`task ${id} ${t.status}: ${t.error}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main(): Promise<void> {
  const record = JSON.parse(readFileSync(path.join(officialDir, `${MODEL}.json`), "utf8")) as {
    spec: Record<string, unknown>;
  };
  const modelBytes = readFileSync(path.join(officialDir, `${MODEL}.onnx`));
  // A photo at SIDE x SIDE (the cat fixture, stretched) as PNG, and the model's input from the
  // very pixels the task decodes.
  const cat = await decodeImage(readFileSync(fixturePath("chelsea.png")));
  const planar = new Float32Array(3 * cat.width * cat.height);
  for (let i = 0; i < cat.width * cat.height; i++)
    for (let c = 0; c < 3; c++)
      planar[c * cat.width * cat.height + i] = cat.data[i * 3 + c] as number;
  const resized = resizeBilinear(planar, 3, cat.width, cat.height, SIDE, SIDE);
  const plane = SIDE * SIDE;
  const pixels = new Uint8Array(3 * plane);
  const input = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.max(0, Math.min(255, Math.round(resized[c * plane + i] as number)));
      pixels[i * 3 + c] = v;
      input[c * plane + i] = v / 255;
    }
  }
  const png = await encodePng({ width: SIDE, height: SIDE, channels: 3, depth: 8, data: pixels });

  const store = await createTestDatabase({ prefix: "inference-speed-" });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "inference-speed-data-"));
  for (const d of ["uploads", "weights", "results", "tmp"]) mkdirSync(path.join(dataDir, d));
  const db = store.db;
  const team = await seedTeam(db);
  const weight = await seedWeight(db, dataDir, {
    teamId: team.teamId,
    taskKind: "super_resolution",
    bytes: modelBytes,
    spec: record.spec as never,
  });
  const image = await seedImage(db, dataDir, {
    ...team,
    bytes: png,
    width: SIDE,
    height: SIDE,
  });

  const service = await spawnService({
    DATA_DIR: dataDir,
    DATABASE_URL: store.url,
    INFERENCE_TOKEN: "bench",
    LOG_LEVEL: "info",
    WORKER_CONCURRENCY: "1",
    ORT_INTRA_OP_THREADS: String(THREADS),
    PREVIEW_MAX_CONCURRENT: "1",
    PREVIEW_TIMEOUT_MS: "120000",
  });
  const session = await ort.InferenceSession.create(modelBytes, {
    ...ortSessionOptions({ intraOpThreads: THREADS }),
    executionProviders: ["cpu"],
  });
  const rows: string[][] = [];
  try {
    const bare = async () => {
      const t = performance.now();
      const x = new ort.Tensor("float32", input, [1, 3, SIDE, SIDE]);
      const out = await session.run({ input: x });
      const ms = performance.now() - t;
      for (const o of Object.values(out)) o.dispose();
      return ms;
    };
    const task = async (params: Record<string, unknown> = {}) => {
      const t = performance.now();
      const id = await seedTask(db, { ...team, weight, params, imageIds: [image] });
      await waitSucceeded(db, id);
      const ms = performance.now() - t;
      const item = await db.taskItem.findFirstOrThrow({
        where: { taskId: id },
        select: { timings: true, resultMeta: true },
      });
      return {
        ms,
        timings: JSON.parse(item.timings ?? "{}"),
        meta: JSON.parse(item.resultMeta ?? "{}"),
      };
    };
    const check = await fetch(`${service.url}/v1/weights/int8`, {
      method: "POST",
      headers: { authorization: "Bearer bench", "content-type": "application/json" },
      body: JSON.stringify({
        weightSha256: weight.sha256,
        spec: record.spec,
        taskKind: "super_resolution",
      }),
    });
    const int8 = (await check.json()) as { report: { state: string; reason: string } };
    console.log(`INT8 check: ${int8.report.state}: ${int8.report.reason}`);
    const int8Offered = int8.report.state === "offered";
    // Warm all: session creation and the worker's model load are not part of the numbers.
    await bare();
    await task();
    if (int8Offered) await task({ precision: "int8" });
    const bareMs: number[] = [];
    const taskMs: number[] = [];
    const int8Ms: number[] = [];
    let last: Awaited<ReturnType<typeof task>> | undefined;
    for (let r = 0; r < RUNS; r++) {
      bareMs.push(await bare());
      last = await task();
      taskMs.push(last.ms);
      if (int8Offered) int8Ms.push((await task({ precision: "int8" })).ms);
    }
    const outMpix = (SIDE * 4) ** 2 / 1e6;
    const bareBest = best(bareMs);
    const runsTable: [string, number[]][] = [
      ["bare session.run, untiled", bareMs],
      ["default task, queued -> succeeded (tile auto, gentle, PNG)", taskMs],
      ...(int8Offered
        ? ([["the same task, precision int8 (fast CPU mode)", int8Ms]] as [string, number[]][])
        : []),
    ];
    for (const [label, xs] of runsTable) {
      rows.push([
        label,
        `${(best(xs) / 1000).toFixed(2)} s`,
        `${(median(xs) / 1000).toFixed(2)} s`,
        (outMpix / (best(xs) / 1000)).toFixed(2),
        (bareBest / best(xs)).toFixed(2),
      ]);
    }
    const tiling = last?.meta.tiling as Record<string, unknown> | undefined;
    const timings = last?.timings as Record<string, number> | undefined;

    // Previews of a 256 px crop: the first runs the model; slider changes reuse its output.
    const preview = async (tuning: object) => {
      const t = performance.now();
      const res = await fetch(`${service.url}/v1/preview`, {
        method: "POST",
        headers: { authorization: "Bearer bench", "content-type": "application/json" },
        body: JSON.stringify({
          weightId: weight.weightId,
          imageId: image,
          crop: { x: SIDE / 2 - 128, y: SIDE / 2 - 128, width: 256, height: 256 },
          params: { tuning },
        }),
      });
      if (res.status !== 200) throw new Error(`preview ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { timings: Record<string, number> };
      return { ms: performance.now() - t, modelMs: body.timings.runMs ?? 0 };
    };
    const first = await preview({ preset: "gentle" });
    const changes: { ms: number; modelMs: number }[] = [];
    for (const [i, sharpen] of [0.8, 1.2, 1.6, 2, 2.4].entries())
      changes.push(await preview({ preset: i % 2 ? "photo" : "gentle", overrides: { sharpen } }));
    const changeMs = changes.map((c) => c.ms);
    const previewRows = [
      ["first preview (model runs)", first.ms, first.modelMs],
      ["slider change, median of 5", median(changeMs), median(changes.map((c) => c.modelMs))],
      [
        "slider change, slowest of 5",
        Math.max(...changeMs),
        Math.max(...changes.map((c) => c.modelMs)),
      ],
    ] as const;

    const cpu = os.cpus()[0]?.model ?? "cpu";
    console.log(
      `\nissue #16 speed benchmark: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, ${THREADS} onnxruntime threads, ${MODEL}, ${SIDE}x${SIDE} -> ${SIDE * 4}x${SIDE * 4} (${outMpix.toFixed(1)} MPix), best and median of ${RUNS}, SQLite, worker process\n`,
    );
    if (int8Offered)
      console.log(
        `INT8 task / FP32 default task (best): ${(best(taskMs) / best(int8Ms)).toFixed(2)}x faster\n`,
      );
    console.log("| run | best | median | output MPix/s (best) | bare / run (best) |");
    console.log("|---|---|---|---|---|");
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
    console.log(
      `\ntask plan: ${JSON.stringify(tiling)}\ntask worker timings (last run, ms): ${JSON.stringify(
        Object.fromEntries(Object.entries(timings ?? {}).map(([k, v]) => [k, Math.round(v)])),
      )}`,
    );
    console.log(`\npreview of a 256x256 crop (1024x1024 out), HTTP round trip:\n`);
    console.log("| preview | time | model time |");
    console.log("|---|---|---|");
    for (const [label, ms, model] of previewRows)
      console.log(`| ${label} | ${Math.round(ms)} ms | ${Math.round(model)} ms |`);
  } finally {
    await session.release();
    service.child.kill("SIGTERM");
    await service.exited;
    await store.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
