// `pnpm --filter @studio/core bench`: pipeline overhead, tiling efficiency, peak memory.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fixturePath } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { decodeImage } from "../src/image/decode";
import type { RawImage } from "../src/image/types";
import { runSegmentation } from "../src/pipeline/segmentation";
import { runSuperResolution } from "../src/pipeline/super-resolution";
import { CountingRunner, prepareFromBytes } from "../src/pipeline/testing";
import { SessionCache } from "../src/runtime/cache";
import { ortSessionOptions } from "../src/runtime/session";
import type { SegmentationSpec, SuperResolutionSpec } from "../src/spec/index";
import { type BenchModel, octaModel, octaUNetModel, segModel, srModel } from "./models";

const threads = Number(process.argv.find((a) => a.startsWith("--threads="))?.slice(10) ?? 2);
const repeats = Number(process.argv.find((a) => a.startsWith("--repeats="))?.slice(10) ?? 5);
const spinWait = process.argv.includes("--spin");
const sessionOptions = { intraOpThreads: threads, spinWait };
const cache = new SessionCache({ ...sessionOptions, maxModels: 8 });
const rows: string[][] = [];

function row(...cells: (string | number)[]) {
  rows.push(cells.map((c) => (typeof c === "number" ? c.toFixed(c < 10 ? 3 : 0) : c)));
  console.log(rows[rows.length - 1]?.join(" | "));
}

interface Measure {
  wall: number;
  cpu: number;
  /** Wall time of every round, in order. */
  walls: number[];
}

/** Runs every case once per round, interleaved, and keeps each case's best wall and CPU time. */
async function interleaved(cases: (() => Promise<unknown>)[]): Promise<Measure[]> {
  const out: Measure[] = cases.map(() => ({
    wall: Number.POSITIVE_INFINITY,
    cpu: Number.POSITIVE_INFINITY,
    walls: [],
  }));
  for (let r = 0; r < repeats; r++) {
    for (const [i, fn] of cases.entries()) {
      const cpu0 = process.cpuUsage();
      const t = performance.now();
      await fn();
      const wall = performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      const m = out[i] as Measure;
      m.wall = Math.min(m.wall, wall);
      m.walls.push(wall);
      m.cpu = Math.min(m.cpu, (cpu.user + cpu.system) / 1000);
    }
  }
  return out;
}

async function crop(name: string, side: number): Promise<Buffer> {
  return sharp(readFileSync(fixturePath(name)))
    .resize(side, side, { fit: "cover" })
    .png()
    .toBuffer();
}

/** Bare session.run on the very tensors the pipeline sent (captured with a counting runner). */
async function bareCase(m: BenchModel, captured: CountingRunner) {
  const session = await ort.InferenceSession.create(m.bytes, {
    ...ortSessionOptions(sessionOptions),
    executionProviders: ["cpu"],
  });
  const name = m.spec.inputName ?? (session.inputNames[0] as string);
  const tensors = captured.calls.map(
    (d, i) => new ort.Tensor("float32", captured.inputs[i] as Float32Array, d),
  );
  await session.run({ [name]: tensors[0] as ort.Tensor });
  return {
    run: async () => {
      for (const t of tensors) await session.run({ [name]: t });
    },
    release: () => session.release(),
  };
}

/**
 * The median over rounds of a / b within each round: the two ran back to back, so a slow
 * spell of this shared machine weighs on both (best-of times may come from different spells).
 */
function medianPairedRatio(a: Measure, b: Measure): number {
  const ratios = a.walls.map((w, i) => w / (b.walls[i] as number)).sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  return ratios.length % 2
    ? (ratios[mid] as number)
    : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2;
}

function ratioRow(label: string, model: string, full: Measure, bare: Measure, target: string) {
  row(
    label,
    model,
    `${full.wall.toFixed(0)} (cpu ${full.cpu.toFixed(0)})`,
    `${bare.wall.toFixed(0)} (cpu ${bare.cpu.toFixed(0)})`,
    `${(full.wall / bare.wall).toFixed(3)} (cpu ${(full.cpu / bare.cpu).toFixed(3)}; median of rounds ${medianPairedRatio(full, bare).toFixed(3)})`,
    target,
  );
}

async function overheadSr(m: BenchModel, preset: "gentle" | "raw") {
  const model = await prepareFromBytes<SuperResolutionSpec>(m.bytes, m.spec, cache);
  const png = await crop("astronaut.png", 256);
  const counting = new CountingRunner(model.runner, true);
  const params = { tile: "off" as const, tuning: { preset } };
  await runSuperResolution({ model: { ...model, runner: counting }, input: png, params });
  const bare = await bareCase(m, counting);
  const [full, b] = await interleaved([
    () => runSuperResolution({ model, input: png, params }),
    bare.run,
  ]);
  await bare.release();
  ratioRow(
    `overhead SR 256x256 untiled (decode, ${preset} tuning, PNG encode)`,
    m.label,
    full as Measure,
    b as Measure,
    "<= 1.15",
  );
}

async function overheadSeg(m: BenchModel, image: string, side: number, target: string) {
  const model = await prepareFromBytes<SegmentationSpec>(m.bytes, m.spec, cache);
  const png = await crop(image, side);
  const counting = new CountingRunner(model.runner, true);
  const params = { tile: "off" as const };
  await runSegmentation({ model: { ...model, runner: counting }, input: png, params });
  const bare = await bareCase(m, counting);
  const [full, b] = await interleaved([
    () => runSegmentation({ model, input: png, params }),
    bare.run,
  ]);
  await bare.release();
  ratioRow(
    `overhead segmentation ${side}x${side} (mask+prob+overlay PNGs)`,
    m.label,
    full as Measure,
    b as Measure,
    target,
  );
}

async function tilingEfficiency(m: BenchModel, side: number) {
  const model = await prepareFromBytes<SuperResolutionSpec>(m.bytes, m.spec, cache);
  const img: RawImage = await decodeImage(await crop("chelsea.png", side));
  const configs: {
    label: string;
    tile: number | "off" | "auto";
    budget?: number;
    target: string;
  }[] = [
    { label: "untiled", tile: "off", target: "" },
    { label: "tile 192, overlap auto", tile: 192, target: ">= 0.75" },
    { label: "tile auto, 512 MB budget (default)", tile: "auto", target: ">= 0.9" },
    { label: "tile auto, 128 MB budget", tile: "auto", budget: 128, target: ">= 0.9" },
  ];
  const tiles: string[] = [];
  const results = await interleaved(
    configs.map((c, i) => async () => {
      const r = await runSuperResolution({
        model,
        input: img,
        params: { tile: c.tile, tileBudgetMB: c.budget ?? 512, tuning: { preset: "raw" } },
        encode: false,
      });
      tiles[i] =
        `${r.tiling.used} (${r.tiling.tilesX}x${r.tiling.tilesY}, overlap ${r.tiling.overlap})`;
    }),
  );
  const base = results[0] as Measure;
  configs.forEach((c, i) => {
    const r = results[i] as Measure;
    row(
      `tiling ${side}x${side}: ${c.label} -> tile ${tiles[i]}`,
      m.label,
      `${r.wall.toFixed(0)} (cpu ${r.cpu.toFixed(0)})`,
      "",
      `${(base.wall / r.wall).toFixed(3)} (cpu ${(base.cpu / r.cpu).toFixed(3)}; median of rounds ${medianPairedRatio(base, r).toFixed(3)})`,
      c.target,
    );
  });
}

function memory() {
  const runs = [
    ...[512, 1024, 2048].map((side) => ({ side, full: false })),
    { side: 2048, full: true },
  ];
  for (const { side, full } of runs) {
    const out = execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--expose-gc",
        join(import.meta.dirname, "memory.ts"),
        String(side),
        "192",
        full ? "full" : "raw",
      ],
      {
        encoding: "utf8",
      },
    );
    // growth = highest RSS sampled during the run minus RSS just before it (after warm-up).
    const r = JSON.parse(out.trim().split("\n").pop() as string) as {
      growth: number;
      output: number;
      png: number;
      tiles: number;
    };
    const mb = (b: number) => (b / 1048576).toFixed(1);
    const band = 192 * 4 * side * 4 * 3 * 4;
    // With the PNG: its compressed pieces and the file they are joined into (both alive while
    // joining), and at most 32 MiB of filtered rows waiting for zlib.
    const extra = full ? 2 * r.png + 32 * 1048576 : 0;
    row(
      `memory SR x4 ${side}x${side} tile 192 (${r.tiles} tiles)${full ? ", gentle tuning + PNG" : ""}`,
      "synthetic tiny SR x4",
      `peak RSS growth ${mb(r.growth)} MB`,
      `output buffer ${mb(r.output)} MB (+ float band ${mb(band)} MB${full ? ` + 2 x PNG ${mb(r.png)} MB + zlib queue <= 32 MB` : ""})`,
      r.growth / (r.output + band + extra),
      "growth / (output + band ...)",
    );
  }
}

const which = new Set(process.argv.slice(2).filter((a) => !a.startsWith("--")));
const all = which.size === 0;
console.log(
  `threads=${threads}${spinWait ? ", spinning" : ""}, best of ${repeats} interleaved rounds; ms as wall (and process CPU); ratio = pipeline/bare (overhead) or untiled/tiled throughput (tiling) of the best times, and the median of each round's ratio`,
);
if (all || which.has("overhead")) {
  await overheadSr(srModel(), "gentle");
  await overheadSr(srModel(), "raw");
  // 400x400 is the OCTA-500 6 mm scan size the seed's U-Net is trained on.
  await overheadSeg(octaUNetModel(), "retina.jpg", 400, "<= 1.15");
  // Light models: the fixed cost of decoding and three lossless PNGs, shown for scale.
  await overheadSeg(segModel(), "text.png", 512, "(light model)");
  await overheadSeg(octaModel(), "retina.jpg", 1024, "(near-zero model)");
}
if (all || which.has("tiling")) await tilingEfficiency(srModel(), 448);
if (all || which.has("memory")) memory();
await cache.clear();

console.log(
  "\n| case | model | pipeline ms | bare run ms / note | ratio | target |\n|---|---|---|---|---|---|",
);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
