// Child process of bench/memory.ts: one default super-resolution task (params {}: tile auto,
// gentle tuning, PNG) of a SIDE px image, in a process that loads the model as the worker does;
// prints idle, peak and after-task resident memory and the time as one JSON line.
import { readFileSync } from "node:fs";
import path from "node:path";
import { prepareModel, runSuperResolution, warmupFor } from "@studio/core/pipeline";
import { peakDuring, SessionCache } from "@studio/core/runtime";
import type { SuperResolutionSpec } from "@studio/core/spec";

const [officialDir, model, sideArg, arenaArg, threadsArg] = process.argv.slice(2);
const side = Number(sideArg);
const memoryArena = arenaArg === "arena";
const record = JSON.parse(readFileSync(path.join(officialDir ?? "", `${model}.json`), "utf8")) as {
  spec: SuperResolutionSpec;
};
const bytes = readFileSync(path.join(officialDir ?? "", `${model}.onnx`));
const cache = new SessionCache({ device: "cpu", intraOpThreads: Number(threadsArg), memoryArena });
const loaded = await cache.get({
  sha256: "bench",
  load: () => bytes,
  warmup: warmupFor(record.spec, { measureMemory: true }),
});
const prepared = prepareModel<SuperResolutionSpec>(loaded, record.spec);

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const settle = async () => {
  gc();
  await new Promise((r) => setTimeout(r, 300));
  gc();
};
await settle();
const idle = process.memoryUsage().rss;
let tiles = 0;
let tile: number | "off" = "off";
let pngBytes = 0;
const t0 = performance.now();
const peak = await peakDuring(async () => {
  // A photo-like pattern made inside the measurement: the task decodes its image too.
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const o = (y * side + x) * 3;
      data[o] = (x * 255) / side;
      data[o + 1] = (y * 255) / side;
      data[o + 2] = ((x ^ y) * 7) & 255;
    }
  const res = await runSuperResolution({
    model: prepared,
    input: { width: side, height: side, channels: 3, depth: 8, data },
    params: {},
  });
  tiles = res.tiling.tileCount;
  tile = res.tiling.used;
  pngBytes = res.png.byteLength;
});
const ms = performance.now() - t0;
await settle();
const after = process.memoryUsage().rss;
// What JavaScript still holds of it (the rest is native: onnxruntime, libvips, malloc's heaps).
const { heapTotal, external } = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ side, memoryArena, tile, tiles, ms, idle, peak, after, heapTotal, external, pngBytes, workingBytesPerPixel: prepared.workingBytesPerPixel })}\n`,
);
await cache.clear();
