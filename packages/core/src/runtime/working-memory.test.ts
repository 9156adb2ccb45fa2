// Working memory per pixel measured from a session's first runs, and memory given back after a
// run: real onnxruntime sessions, real resident memory of this process (Linux /proc).
import { existsSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { beforeEach, describe, expect, it } from "vitest";
import { buildTinySrModel } from "../onnx/testing-models";
import { resolveTile } from "../pipeline/common";
import { warmupFor } from "../pipeline/model";
import { bytesPerTilePixel } from "../tiling/auto";
import { SessionCache } from "./cache";
import { createSession } from "./session";
import { peakDuring } from "./working-memory";

const linux = existsSync("/proc/self/clear_refs");
const srSpec = { kind: "super_resolution", scale: 2 } as const;

async function measured(model: { bytes: Uint8Array }): Promise<number | undefined> {
  const { session } = await createSession(model.bytes, { device: "cpu", intraOpThreads: 2 });
  try {
    return (await warmupFor(srSpec, { measureMemory: true })(session)).workingBytesPerPixel;
  } finally {
    await session.release();
  }
}

async function runOnce(session: ort.InferenceSession, side: number): Promise<void> {
  const x = new ort.Tensor("float32", new Float32Array(3 * side * side), [1, 3, side, side]);
  const out = await session.run({ [session.inputNames[0] as string]: x });
  x.dispose();
  for (const t of Object.values(out)) t.dispose();
}

describe.runIf(linux)("model working memory", () => {
  // An earlier test's inputs and outputs (tens of MB of typed arrays) would otherwise be freed
  // by a collection at any moment, also inside a measurement, where resident memory falling by
  // as much as a run's growth reads as "the peaks do not rise with size" (it once did in CI).
  // The project runs with --expose-gc (vitest.config.ts OWN_PROCESS).
  beforeEach(() => (globalThis as { gc?: () => void }).gc?.());

  it("measures a wide model as heavier than a narrow one, and gives it a smaller auto tile", async () => {
    // 1x1 convs keep the runs cheap; 512 channels mean ~2 KB per pixel per feature map.
    const heavy = await measured(buildTinySrModel({ hidden: 512, kernel: 1, layers: 3, seed: 4 }));
    const light = await measured(buildTinySrModel({ hidden: 8, layers: 3, seed: 4 }));
    const generic = bytesPerTilePixel(3, 3, 2);
    expect(heavy).toBeGreaterThan(2 * generic);
    expect(heavy).toBeGreaterThan(2 * (light ?? 0));
    const opts = {
      budgetBytes: 512 << 20,
      device: "cpu" as const,
      inChannels: 3,
      outChannels: 3,
      scale: 2,
      overlap: 10,
      multipleOf: 1,
    };
    const heavyTile = await resolveTile("auto", { ...opts, bytesPerPixel: heavy });
    const lightTile = await resolveTile("auto", { ...opts, bytesPerPixel: light });
    expect(heavyTile.tile).toBeLessThan(lightTile.tile as number);
  }, 120_000);

  it("gives a run's memory back without onnxruntime's arena (the arena keeps it)", async () => {
    // 64 feature maps of 640 px: ~100 MB each, well above what malloc keeps for reuse. What
    // stays is JavaScript's copy of the input and output, freed at its next collection.
    const model = buildTinySrModel({ hidden: 64, kernel: 1, layers: 3, seed: 6 });
    const side = 640;
    const growth = async (memoryArena: boolean) => {
      const { session } = await createSession(model.bytes, {
        device: "cpu",
        intraOpThreads: 2,
        memoryArena,
      });
      await runOnce(session, 32);
      const idle = process.memoryUsage().rss;
      const peak = (await peakDuring(() => runOnce(session, side))) ?? Number.NaN;
      const after = process.memoryUsage().rss;
      await session.release();
      return { peak: peak - idle, after: after - idle };
    };
    const without = await growth(false);
    const withArena = await growth(true);
    // Both runs needed real memory; without the arena next to none of it stays resident.
    expect(without.peak).toBeGreaterThan(100 << 20);
    expect(without.after).toBeLessThan(0.2 * without.peak);
    // The control: the same run with the arena keeps most of its peak.
    expect(withArena.after).toBeGreaterThan(0.5 * withArena.peak);
  }, 120_000);

  it("gives back what the arena kept once the cache releases the session", async () => {
    const model = buildTinySrModel({ hidden: 64, kernel: 1, layers: 3, seed: 7 });
    const cache = new SessionCache({ device: "cpu", intraOpThreads: 2, memoryArena: true });
    const source = { sha256: "w", load: () => model.bytes, warmup: warmupFor(srSpec) };
    const { session } = await cache.get(source);
    const idle = process.memoryUsage().rss;
    const peak = ((await peakDuring(() => runOnce(session, 640))) ?? Number.NaN) - idle;
    const kept = process.memoryUsage().rss - idle;
    await cache.clear();
    const released = process.memoryUsage().rss - idle;
    expect(peak).toBeGreaterThan(100 << 20);
    // The arena keeps the run's memory while the session lives (the control) ...
    expect(kept).toBeGreaterThan(0.5 * peak);
    // ... and its release gives it back.
    expect(released).toBeLessThan(0.2 * peak);
    // Loaded again, it runs.
    await runOnce((await cache.get(source)).session, 64);
    await cache.clear();
  }, 120_000);

  it("loads a weight again after a release without measuring it again (same figure, no warm-up)", async () => {
    const heavy = buildTinySrModel({ hidden: 512, kernel: 1, layers: 3, seed: 4 });
    const cache = new SessionCache({ device: "cpu", intraOpThreads: 2 });
    const measure = warmupFor(srSpec, { measureMemory: true });
    let warmups = 0;
    const source = {
      sha256: "H",
      load: () => heavy.bytes,
      warmup: (session: ort.InferenceSession) => {
        warmups++;
        return measure(session);
      },
    };
    const first = await cache.get(source);
    expect(first.workingBytesPerPixel).toBeGreaterThan(0);
    await cache.clear();
    expect(cache.has("h")).toBe(false);
    const again = await cache.get(source);
    expect(again.session).not.toBe(first.session);
    expect(again.workingBytesPerPixel).toBe(first.workingBytesPerPixel);
    expect(again.warmupMs).toBe(0);
    expect(warmups).toBe(1);
    await runOnce(again.session, 64);
    await cache.clear();
  }, 120_000);
});
