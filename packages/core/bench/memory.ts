// Child process: one SR run at a fixed tile; prints peak RSS before/after as JSON. "full" as the
// third argument adds the default tuning and the PNG (else raw pixels only).
import { buildTinySrModel } from "../src/onnx/testing-models";
import { runSuperResolution } from "../src/pipeline/super-resolution";
import { prepareFromBytes } from "../src/pipeline/testing";
import type { SuperResolutionSpec } from "../src/spec/index";

const side = Number(process.argv[2]);
const tile = Number(process.argv[3] ?? 192);
const full = process.argv[4] === "full";
const m = buildTinySrModel({ scale: 4, layers: 4, hidden: 16, seed: 5 });
const model = await prepareFromBytes<SuperResolutionSpec>(m.bytes, {
  kind: "super_resolution",
  scale: 4,
  receptiveField: m.receptiveField,
});
// Input pixels: a smooth pattern, built before the baseline is taken.
const data = new Uint8Array(side * side * 3);
for (let y = 0; y < side; y++)
  for (let x = 0; x < side; x++) {
    const o = (y * side + x) * 3;
    data[o] = (x * 255) / side;
    data[o + 1] = (y * 255) / side;
    data[o + 2] = (x ^ y) & 255;
  }
const input = { width: side, height: side, channels: 3 as const, depth: 8 as const, data };
// Warm the pipeline on a 2x2-tile image so the baseline includes onnxruntime's arena for
// full-size tiles (interior and border shapes); what grows after that is per-image memory.
const warm = 2 * tile + 40;
await runSuperResolution({
  model,
  input: { ...input, width: warm, height: warm, data: data.subarray(0, warm * warm * 3) },
  params: { tile, tuning: { preset: "raw" } },
  encode: false,
});
global.gc?.();
// RSS is sampled between tiles (the run yields to the event loop after every tile). maxRSS is
// useless here: Linux hands a child its parent's high-water mark across fork + exec.
const before = process.memoryUsage().rss;
let sampled = before;
const timer = setInterval(() => {
  sampled = Math.max(sampled, process.memoryUsage().rss);
}, 1);
const res = await runSuperResolution({
  model,
  input,
  params: { tile, tuning: { preset: full ? "gentle" : "raw" } },
  encode: full,
});
clearInterval(timer);
sampled = Math.max(sampled, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({ side, tile, before, sampled, growth: sampled - before, output: res.image.data.byteLength, png: res.png.byteLength, tiles: res.tiling.tileCount })}\n`,
);
