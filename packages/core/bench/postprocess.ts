// `pnpm --filter @studio/core bench:postprocess`: what a default super-resolution task spends
// after the model (issue #16: at most 5% of the model time). A 1024 px photo through the
// official Real-ESRGAN AnimeVideo v3 x4 (synthetic stand-in without it) as one tile: first the
// product's pipeline end to end per tuning preset, then its post-processing stages replayed on
// the captured model output, several rounds each (min..max, this machine is shared).
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { fixturePath } from "@studio/fixtures";
import sharp from "sharp";
import { decodeImage } from "../src/image/decode";
import { DEFAULT_PNG_LEVEL, encodePng, PngWriter } from "../src/image/encode";
import { allocPixels, maxValue, type RawImage } from "../src/image/types";
import { ForwardingRunner } from "../src/pipeline/forwarding-runner";
import { runSuperResolution, writeRows } from "../src/pipeline/super-resolution";
import { prepareFromBytes } from "../src/pipeline/testing";
import { SessionCache } from "../src/runtime/cache";
import type { ModelRunner, TensorOut } from "../src/runtime/runner";
import {
  resolveTuning,
  type SuperResolutionSpec,
  TuningParams,
  type TuningPresetName,
} from "../src/spec/index";
import { modelChannels } from "../src/tensor/index";
import { applyTuning } from "../src/tuning/index";
import { srModel } from "./models";

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const side = arg("side", 1024);
const threads = arg("threads", 2);
/** Pipeline runs per preset (each runs the model) and replay rounds of the stages. */
const runs = arg("runs", 1);
const rounds = arg("rounds", 2);
const presets: TuningPresetName[] = ["gentle", "raw"];

/** Keeps the model's last output so the stages after it can be replayed without the model. */
class CapturingRunner extends ForwardingRunner {
  last: TensorOut | null = null;
  constructor(inner: ModelRunner) {
    super(inner);
  }
  async run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    this.last = await this.inner.run(input, dims);
    return this.last;
  }
}

const range = (values: number[]) => {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const f = (v: number) => v.toFixed(0);
  return lo === hi || values.length === 1 ? f(lo) : `${f(lo)}..${f(hi)}`;
};
const share = (part: number[], whole: number) => range(part.map((p) => (100 * p) / whole));

function table(title: string, header: string[], rows: string[][]) {
  console.log(`\n${title}\n| ${header.join(" | ")} |\n|${header.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

async function time<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const t = performance.now();
  const value = await fn();
  return [performance.now() - t, value];
}

const m = srModel();
const cache = new SessionCache({ intraOpThreads: threads, maxModels: 1 });
const model = await prepareFromBytes<SuperResolutionSpec>(m.bytes, m.spec, cache);
const input = await decodeImage(
  await sharp(readFileSync(fixturePath("chelsea.png")))
    .resize(side, side, { fit: "cover", kernel: "lanczos3" })
    .png()
    .toBuffer(),
);
const capturing = new CapturingRunner(model.runner);
const { spec } = model;
const scale = spec.scale;
const outW = input.width * scale;
const outH = input.height * scale;
console.log(
  `${m.label}, ${side}x${side} chelsea -> ${outW}x${outH}, tile off, ${threads} threads, ` +
    `${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
);

// A worker runs many tasks: warm up on a small image first, so that the table shows the steady
// state rather than the first task's compilation of the hot loops.
const small = await decodeImage(
  await sharp(readFileSync(fixturePath("chelsea.png")))
    .resize(256, 256, { fit: "cover" })
    .png()
    .toBuffer(),
);
for (const preset of presets) {
  await runSuperResolution({ model, input: small, params: { tile: "off", tuning: { preset } } });
}

// 1. The product's pipeline end to end. postMs holds taking the model's pixels (the graph's own
// 8-bit output, pipeline/byte-output.ts, else quantising the floats in writeRows) and tuning,
// encodeMs the wait for the PNG once tuning is done (strips compress on the PNG writer's threads
// meanwhile).
const pipelineRows: string[][] = [];
let rawResult: RawImage | null = null;
let modelMs = Number.POSITIVE_INFINITY;
for (const preset of presets) {
  const modelTimes: number[] = [];
  const post: number[] = [];
  const encode: number[] = [];
  const after: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const r = await runSuperResolution({
      model,
      input,
      params: { tile: "off", tuning: { preset } },
    });
    modelTimes.push(r.timings.runMs);
    post.push(r.timings.postMs);
    encode.push(r.timings.encodeMs);
    after.push(r.timings.postMs + r.timings.encodeMs);
    bytes = r.png.length;
    if (preset === "raw") rawResult = r.image;
  }
  const fastest = Math.min(...modelTimes);
  modelMs = Math.min(modelMs, fastest);
  pipelineRows.push([
    preset,
    range(modelTimes),
    range(post),
    range(encode),
    range(after),
    share(after, fastest),
    (bytes / 1e6).toFixed(2),
  ]);
}
table(
  `Pipeline (runSuperResolution, ${runs} run(s) per preset; share of that preset's fastest model time)`,
  [
    "tuning",
    "model ms",
    "pixels + tuning ms",
    "PNG wait ms",
    "after model ms",
    "share %",
    "PNG MB",
  ],
  pipelineRows,
);

// 2. The stages replayed on the model's float output (captured from one more run), as `finish`
// runs them; quantising the floats is what a run without the graph's 8-bit output does.
await runSuperResolution({
  model: { ...model, runner: capturing },
  input,
  params: { tile: "off", tuning: { preset: "raw" } },
  encode: false,
});
const out = capturing.last;
if (!out) throw new Error("the model did not run");
const mc = modelChannels(spec.colorOrder);
const k = maxValue(input.depth) / (spec.outputRange === "0-255" ? 255 : 1);
const quantised = (): RawImage => ({
  width: outW,
  height: outH,
  channels: 3,
  depth: input.depth,
  data: allocPixels(input.depth, outW * outH * 3),
});
// Blended tiling pads the image on every side (tiling/run.ts): its output is then bigger.
const [fullH, fullW] = [out.dims[2] as number, out.dims[3] as number];
const plane = fullW * fullH;
const modelRows = {
  data: out.data,
  offset: ((fullH - outH) / 2) * fullW + (fullW - outW) / 2,
  rowStride: fullW,
  pixelStride: 1,
  planeStride: plane,
};
{
  // The replay must quantise the very pixels the pipeline did (from the graph's 8-bit output).
  const check = quantised();
  writeRows(modelRows, 0, outH, check, mc, spec.colorOrder === "bgr", k);
  if (!rawResult || !Buffer.from(check.data.buffer).equals(Buffer.from(rawResult.data.buffer))) {
    throw new Error("the replay does not reproduce the pipeline's raw result");
  }
}
const stageRows: string[][] = [];
for (const preset of presets) {
  const tuning = resolveTuning(TuningParams.parse({ preset }));
  const times = { quantise: [] as number[], tune: [] as number[], png: [] as number[] };
  const streamed: number[] = [];
  const streamedCpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const image = quantised();
    const [q] = await time(() =>
      writeRows(modelRows, 0, outH, image, mc, spec.colorOrder === "bgr", k),
    );
    // Copies made outside the timed parts: each stage starts from the quantised pixels.
    const ownPixels = () => ({ ...image, data: image.data.slice() });
    const alone = ownPixels();
    const [t, tuned] = await time(() => applyTuning(alone, tuning, { inPlace: true }));
    const [p] = await time(() => encodePng(tuned, { compressionLevel: DEFAULT_PNG_LEVEL }));
    // Tuning with each strip compressed as it is final, as `finish` does.
    const streamedPixels = ownPixels();
    // CPU time of every thread of the process (tuning here, the compression threads' work).
    const cpu = process.cpuUsage();
    const [s] = await time(async () => {
      const writer = new PngWriter(streamedPixels, { compressionLevel: DEFAULT_PNG_LEVEL });
      let fed = false;
      const result = await applyTuning(streamedPixels, tuning, {
        inPlace: true,
        onRows: (img, y0, y1) => {
          writer.addRows(img.data, y0, y1);
          fed = true;
        },
      });
      return fed ? writer.finish() : encodePng(result, { compressionLevel: DEFAULT_PNG_LEVEL });
    });
    times.quantise.push(q);
    times.tune.push(t);
    times.png.push(p);
    const used = process.cpuUsage(cpu);
    streamed.push(s);
    streamedCpu.push((used.user + used.system) / 1000);
  }
  const cores = availableParallelism();
  stageRows.push([
    preset,
    range(times.quantise),
    range(times.tune),
    range(times.png),
    range(streamed),
    share(streamed, modelMs),
    range(streamedCpu),
    share(
      streamedCpu.map((c) => c / cores),
      modelMs,
    ),
  ]);
}
table(
  `Stages replayed on the model's float output (${rounds} rounds; shares of the fastest model time, ${modelMs.toFixed(0)} ms; the floor is the CPU time spread over all ${availableParallelism()} cores)`,
  [
    "tuning",
    "quantise floats (writeRows) ms",
    "tuning alone ms",
    "PNG alone ms",
    "tuning + PNG streamed ms",
    "share %",
    "its CPU ms (all threads)",
    "floor share %",
  ],
  stageRows,
);
console.log(
  `\nload average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
await cache.clear();
