// `pnpm --filter @studio/core bench`: pipeline overhead, tiling efficiency, peak memory.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { decodeImage } from "../src/image/decode";
import type { RawImage } from "../src/image/types";
import type { PreparedModel } from "../src/pipeline/model";
import { runSegmentation } from "../src/pipeline/segmentation";
import { runSuperResolution } from "../src/pipeline/super-resolution";
import { CountingRunner, prepareFromBytes } from "../src/pipeline/testing";
import { SessionCache } from "../src/runtime/cache";
import type { SegmentationSpec, SuperResolutionSpec } from "../src/spec/index";
import { type BenchModel, octaModel, segModel, srModel } from "./models";

const fixtures = join(import.meta.dirname, "../test-fixtures");
const threads = Number(process.argv.find((a) => a.startsWith("--threads="))?.slice(10) ?? 2);
const repeats = Number(process.argv.find((a) => a.startsWith("--repeats="))?.slice(10) ?? 2);
const cache = new SessionCache({ intraOpThreads: threads, maxModels: 8 });
const rows: string[][] = [];

function row(...cells: (string | number)[]) {
  rows.push(cells.map((c) => (typeof c === "number" ? c.toFixed(c < 10 ? 3 : 0) : c)));
  console.log(rows[rows.length - 1]?.join(" | "));
}

async function best(fn: () => Promise<unknown>): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

async function crop(name: string, side: number): Promise<Buffer> {
  return sharp(readFileSync(join(fixtures, name)))
    .resize(side, side, { fit: "cover" })
    .png()
    .toBuffer();
}

/** Bare session.run on the very shapes the pipeline sent (captured with a counting runner). */
async function bareRun(m: BenchModel, shapes: number[][]): Promise<number> {
  const session = await ort.InferenceSession.create(m.bytes, {
    intraOpNumThreads: threads,
    graphOptimizationLevel: "all",
  });
  const name = m.spec.inputName ?? (session.inputNames[0] as string);
  const tensors = shapes.map(
    (d) => new ort.Tensor("float32", new Float32Array(d.reduce((a, b) => a * b, 1)).fill(0.5), d),
  );
  await session.run({ [name]: tensors[0] as ort.Tensor });
  const ms = await best(async () => {
    for (const t of tensors) await session.run({ [name]: t });
  });
  await session.release();
  return ms;
}

async function overheadSr(m: BenchModel) {
  const model = await prepareFromBytes<SuperResolutionSpec>(m.bytes, m.spec, cache);
  const png = await crop("astronaut.png", 256);
  const counting = new CountingRunner(model.runner);
  const counted: PreparedModel<SuperResolutionSpec> = { ...model, runner: counting };
  const params = { tile: "off" as const };
  await runSuperResolution({ model: counted, input: png, params });
  const shapes = counting.calls.slice(0, 1);
  const full = await best(() => runSuperResolution({ model, input: png, params }));
  const bare = await bareRun(m, shapes);
  row(
    "overhead SR 256x256 untiled (gentle, decode+encode)",
    m.label,
    full,
    bare,
    full / bare,
    "<= 1.15",
  );
}

async function overheadSeg(m: BenchModel, image: string, side: number) {
  const model = await prepareFromBytes<SegmentationSpec>(m.bytes, m.spec, cache);
  const png = await crop(image, side);
  const counting = new CountingRunner(model.runner);
  const params = { tile: "off" as const };
  await runSegmentation({ model: { ...model, runner: counting }, input: png, params });
  const full = await best(() => runSegmentation({ model, input: png, params }));
  const bare = await bareRun(m, counting.calls);
  row(
    `overhead segmentation ${side}x${side} (mask+prob+overlay PNGs)`,
    m.label,
    full,
    bare,
    full / bare,
    "<= 1.15",
  );
}

async function tilingEfficiency(m: BenchModel, side: number) {
  const model = await prepareFromBytes<SuperResolutionSpec>(m.bytes, m.spec, cache);
  const img: RawImage = await decodeImage(await crop("chelsea.png", side));
  const run = (tile: number | "off" | "auto", overlap: number | "auto" = "auto") =>
    best(() =>
      runSuperResolution({
        model,
        input: img,
        params: { tile, overlap, tuning: { preset: "raw" } },
        encode: false,
      }),
    );
  const untiled = await run("off");
  row(`tiling ${side}x${side} untiled`, m.label, untiled, "", 1, "");
  const t192 = await run(192);
  row(
    `tiling ${side}x${side} tile 192, overlap auto`,
    m.label,
    t192,
    "",
    untiled / t192,
    ">= 0.75",
  );
  const t192o16 = await run(192, 16);
  row(
    `tiling ${side}x${side} tile 192, overlap 16`,
    m.label,
    t192o16,
    "",
    untiled / t192o16,
    ">= 0.75",
  );
  const auto = await run("auto");
  row(
    `tiling ${side}x${side} tile auto (512 MB budget)`,
    m.label,
    auto,
    "",
    untiled / auto,
    ">= 0.9",
  );
}

function memory() {
  for (const side of [512, 1024, 2048]) {
    const out = execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--expose-gc",
        join(import.meta.dirname, "memory.ts"),
        String(side),
        "192",
      ],
      {
        encoding: "utf8",
      },
    );
    const r = JSON.parse(out.trim().split("\n").pop() as string) as {
      baseline: number;
      peak: number;
      output: number;
      tiles: number;
    };
    const mb = (b: number) => (b / 1048576).toFixed(1);
    const band = 192 * 4 * side * 4 * 3 * 4;
    row(
      `memory SR x4 ${side}x${side} tile 192 (${r.tiles} tiles)`,
      "synthetic tiny SR x4",
      `peak RSS growth ${mb(r.peak - r.baseline)} MB`,
      `output buffer ${mb(r.output)} MB (+ float band ${mb(band)} MB)`,
      (r.peak - r.baseline) / (r.output + band),
      "growth / (output + band)",
    );
  }
}

const which = new Set(process.argv.slice(2).filter((a) => !a.startsWith("--")));
const all = which.size === 0;
console.log(
  `threads=${threads} repeats=${repeats} (best of); columns: case | model | pipeline ms | bare run ms | ratio | target`,
);
if (all || which.has("overhead")) {
  await overheadSr(srModel());
  await overheadSeg(segModel(), "text.png", 512);
  await overheadSeg(octaModel(), "retina.jpg", 1024);
}
if (all || which.has("tiling")) await tilingEfficiency(srModel(), 384);
if (all || which.has("memory")) memory();
await cache.clear();

console.log(
  "\n| case | model | pipeline ms | bare run ms / note | ratio | target |\n|---|---|---|---|---|---|",
);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
