// Child process of bench/memory.ts: one default super-resolution task (params {}: tile auto,
// gentle tuning, PNG) of a SIDE px image, in a process that loads the model as the worker does;
// prints idle, peak and after-task resident memory and the time as one JSON line. With the
// arena, also what the worker does once it is idle (worker/main.ts, SESSION_IDLE_RELEASE_MS):
// the session released and loaded again at once without its arena (ModelStore.renew): resident
// memory after that, and its time.
// SIDE 0: what a release costs the next task instead: a 256 px default task on the warm
// session, then the session released, loaded again and the same task on it (cold), 3 times.
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  type PreparedModel,
  prepareModel,
  runSuperResolution,
  warmupFor,
} from "@studio/core/pipeline";
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
const source = {
  sha256: "bench",
  load: () => bytes,
  warmup: warmupFor(record.spec, { measureMemory: true }),
};

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const settle = async () => {
  gc();
  await new Promise((r) => setTimeout(r, 300));
  gc();
};

/** The default task on a `side` px photo-like pattern (made inside, as a task decodes its image). */
async function task(prepared: PreparedModel<SuperResolutionSpec>, side: number) {
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const o = (y * side + x) * 3;
      data[o] = (x * 255) / side;
      data[o + 1] = (y * 255) / side;
      data[o + 2] = ((x ^ y) * 7) & 255;
    }
  return runSuperResolution({
    model: prepared,
    input: { width: side, height: side, channels: 3, depth: 8, data },
    params: {},
  });
}

/** Releases the session and loads it again as an idle worker does (no new measurement). */
async function releaseAndReload() {
  const t = performance.now();
  await cache.renew(Number.POSITIVE_INFINITY);
  const reloadMs = performance.now() - t;
  await settle();
  const released = process.memoryUsage().rss;
  const reloaded = await cache.get(source);
  return { released, reloadMs, reloaded };
}

const loaded = await cache.get(source);
const prepared = prepareModel<SuperResolutionSpec>(loaded, record.spec);

if (side === 0) {
  // Pairs of (warm task, release + reload + cold task), after one task that warms up the
  // JavaScript side too; medians, as this machine's load moves between runs.
  const timed = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  let current = prepared;
  await task(current, 256);
  const warm: number[] = [];
  const cold: number[] = [];
  const reloads: number[] = [];
  for (let i = 0; i < 3; i++) {
    warm.push(await timed(() => task(current, 256)));
    const { reloadMs, reloaded } = await releaseAndReload();
    reloads.push(reloadMs);
    current = prepareModel<SuperResolutionSpec>(reloaded, record.spec);
    cold.push(await timed(() => task(current, 256)));
  }
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  process.stdout.write(
    `${JSON.stringify({ model, bytes: bytes.byteLength, loadMs: loaded.loadMs, warmupMs: loaded.warmupMs, reloadMs: median(reloads), warmTaskMs: median(warm), coldTaskMs: median(cold) })}\n`,
  );
  await cache.clear();
  process.exit(0);
}

await settle();
const idle = process.memoryUsage().rss;
let tiles = 0;
let tile: number | "off" = "off";
let pngBytes = 0;
const t0 = performance.now();
const peak = await peakDuring(async () => {
  const res = await task(prepared, side);
  tiles = res.tiling.tileCount;
  tile = res.tiling.used;
  pngBytes = res.png.byteLength;
});
const ms = performance.now() - t0;
await settle();
const after = process.memoryUsage().rss;
// What JavaScript still holds of it (the rest is native: onnxruntime, libvips, malloc's heaps).
const { heapTotal, external } = process.memoryUsage();
const reload = memoryArena ? await releaseAndReload() : undefined;
process.stdout.write(
  `${JSON.stringify({ side, memoryArena, tile, tiles, ms, idle, peak, after, released: reload?.released, reloadMs: reload?.reloadMs, heapTotal, external, pngBytes, workingBytesPerPixel: prepared.workingBytesPerPixel })}\n`,
);
await cache.clear();
