import { readFileSync } from "node:fs";
import { fixturePath } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import type { RawImage } from "../image/types";
import { buildTinySrModel } from "../onnx/testing-models";
import { GraphBuilder } from "../onnx/write";
import type { ModelRunner, TensorOut } from "../runtime/runner";
import type { SuperResolutionSpec } from "../spec/index";
import { cropImage } from "./alpha";
import type { PreparedModel } from "./model";
import { ModelOutputCache } from "./output-cache";
import { runSuperResolution } from "./super-resolution";
import { CountingRunner, prepareTinySr } from "./testing";

const read = (name: string) => readFileSync(fixturePath(name));
/** A tile "auto" budget of 16 MB: about 100 px tiles for the tiny x2 model. */
const SMALL_BUDGET = 16 * 1024 * 1024;

const tiny = buildTinySrModel({ scale: 2, layers: 4, seed: 7 });
let model: PreparedModel<SuperResolutionSpec>;
let grayModel: PreparedModel<SuperResolutionSpec>;
let chelsea: RawImage;

beforeAll(async () => {
  model = await prepareTinySr(tiny);
  const g = buildTinySrModel({ scale: 3, channels: 1, layers: 2, seed: 3 });
  grayModel = await prepareTinySr(g, { colorOrder: "gray" });
  chelsea = await decodeImage(read("chelsea.png"));
});

function compare(a: RawImage, b: RawImage) {
  expect([a.width, a.height, a.channels, a.depth]).toEqual([
    b.width,
    b.height,
    b.channels,
    b.depth,
  ]);
  let off1 = 0;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs((a.data[i] as number) - (b.data[i] as number));
    if (d > 1) off1++;
    if (d > max) max = d;
  }
  return { fractionOver1: off1 / a.data.length, max };
}

describe("runSuperResolution", () => {
  it("tiled output equals untiled within 1/255 (99.9%) and 3/255 max", async () => {
    const untiled = await runSuperResolution({
      model,
      input: chelsea,
      params: { tile: "off", tuning: { preset: "raw" } },
    });
    // The default (tile "auto") with a budget that allows about 100 px tiles, and fixed tiles.
    const runs = [
      { params: { tuning: { preset: "raw" } }, memoryBudgetBytes: SMALL_BUDGET },
      ...[192, 64].map((tile) => ({ params: { tile, tuning: { preset: "raw" } } })),
    ];
    for (const run of runs) {
      const tiled = await runSuperResolution({ model, input: chelsea, ...run });
      expect(tiled.tiling.tileCount).toBeGreaterThan(1);
      const { fractionOver1, max } = compare(tiled.image, untiled.image);
      expect(fractionOver1).toBeLessThanOrEqual(0.001);
      expect(max).toBeLessThanOrEqual(3);
    }
    expect([untiled.image.width, untiled.image.height]).toEqual([902, 600]);
  });

  it("tiles auto by default from the memory free now: one tile when it fits, reported", async () => {
    const res = await runSuperResolution({ model, input: chelsea, encode: false });
    expect(res.params.tile).toBe("auto");
    // A budget is half of what this process may still allocate (any test machine has far more
    // than the ~0.5 GB one tile of this image needs), so the image is one tile.
    expect(res.tiling.budgetBytes).toBeGreaterThan(0);
    expect(res.tiling.budgetBytes).toBeLessThanOrEqual(process.availableMemory());
    expect(res.tiling).toMatchObject({ requested: "auto", tilesX: 1, tilesY: 1, tileCount: 1 });
    // The same choice with less memory: more tiles, the same signature, the plan reported.
    const small = await runSuperResolution({
      model,
      input: chelsea,
      encode: false,
      memoryBudgetBytes: SMALL_BUDGET,
    });
    expect(small.signature).toBe(res.signature);
    expect(small.tiling.budgetBytes).toBe(SMALL_BUDGET);
    expect(small.tiling.tileCount).toBe(small.tiling.tilesX * small.tiling.tilesY);
    expect(small.tiling.tilesX).toBeGreaterThan(1);
    // An explicit budget in the params is the user's choice (and part of the signature).
    const explicit = await runSuperResolution({
      model,
      input: chelsea,
      encode: false,
      params: { tileBudgetMB: 16 },
    });
    expect(explicit.tiling).toMatchObject({
      budgetBytes: SMALL_BUDGET,
      tileCount: small.tiling.tileCount,
    });
    expect(explicit.signature).not.toBe(res.signature);
    expect(Buffer.from(explicit.image.data).equals(Buffer.from(small.image.data))).toBe(true);
  });

  it("untiled interior pixels equal a bare session.run of the model", async () => {
    const res = await runSuperResolution({
      model,
      input: chelsea,
      params: { tile: "off", tuning: { preset: "raw" } },
      encode: false,
    });
    const session = await ort.InferenceSession.create(tiny.bytes);
    const { width: w, height: h } = chelsea;
    const x = new Float32Array(3 * w * h);
    for (let i = 0; i < w * h; i++)
      for (let c = 0; c < 3; c++) x[c * w * h + i] = (chelsea.data[i * 3 + c] as number) / 255;
    const out = await session.run({ input: new ort.Tensor("float32", x, [1, 3, h, w]) });
    const y = out.output?.data as Float32Array;
    const W = 2 * w;
    const H = 2 * h;
    let worst = 0;
    const rf = tiny.receptiveField * 2 + 2;
    for (let yy = rf; yy < H - rf; yy += 7) {
      for (let xx = rf; xx < W - rf; xx += 5) {
        for (let c = 0; c < 3; c++) {
          const expected = Math.min(
            255,
            Math.max(0, Math.round((y[c * W * H + yy * W + xx] as number) * 255)),
          );
          worst = Math.max(
            worst,
            Math.abs(expected - (res.image.data[(yy * W + xx) * 3 + c] as number)),
          );
        }
      }
    }
    expect(worst).toBe(0);
    await session.release();
  });

  it("a preview crop equals the same crop of the full result, pixel for pixel", async () => {
    const regions = [
      { x: 131, y: 77, width: 61, height: 90 },
      { x: 0, y: 0, width: 40, height: 33 },
      { x: 400, y: 257, width: 51, height: 43 },
    ];
    // The default tile ("auto") on a budget that makes several tiles, so crops cut across seams;
    // tiles cut exactly (the tiny model passes the check) and blended.
    for (const [preset, tiled] of [
      ["raw", model],
      ["gentle", model],
      ["text", model],
      ["raw", { ...model, exactTiling: false }],
      ["gentle", { ...model, exactTiling: false }],
    ] as const) {
      const params = { tuning: { preset } };
      const memoryBudgetBytes = SMALL_BUDGET;
      const full = await runSuperResolution({
        model: tiled,
        input: chelsea,
        params,
        encode: false,
        memoryBudgetBytes,
      });
      for (const [i, region] of regions.entries()) {
        // Encoded, a tuned crop is cut out and compressed as its rows are tuned.
        const encode = i === 0;
        const crop = await runSuperResolution({
          model: tiled,
          input: chelsea,
          params,
          region,
          encode,
          memoryBudgetBytes,
        });
        expect(crop.signature).toBe(full.signature);
        expect([crop.image.width, crop.image.height]).toEqual([
          region.width * 2,
          region.height * 2,
        ]);
        const expected = await sharp(full.image.data, {
          raw: { width: full.image.width, height: full.image.height, channels: 3 },
        })
          .extract({
            left: region.x * 2,
            top: region.y * 2,
            width: region.width * 2,
            height: region.height * 2,
          })
          .raw()
          .toBuffer();
        expect(Buffer.from(crop.image.data).equals(expected)).toBe(true);
        if (encode)
          expect(Buffer.from((await decodeImage(crop.png)).data).equals(expected)).toBe(true);
        expect(crop.tiling.tileCount).toBeLessThan(full.tiling.tileCount);
      }
    }
  });

  it("a preview with other tuning reuses the cached model output and still equals the full run", async () => {
    const counting = new CountingRunner(model.runner);
    const counted = { ...model, runner: counting };
    const cache = new ModelOutputCache(64 << 20);
    const modelOutputCache = { cache, imageKey: "chelsea" };
    const region = { x: 131, y: 77, width: 61, height: 90 };
    const preview = (params: object, r = region) =>
      runSuperResolution({
        model: counted,
        input: chelsea,
        params,
        region: r,
        encode: false,
        memoryBudgetBytes: SMALL_BUDGET,
        modelOutputCache,
      });
    const first = await preview({ tuning: { preset: "raw" } });
    expect(first.modelRan).toBe(true);
    const runs = counting.calls.length;
    expect(runs).toBeGreaterThan(0);
    expect(cache.size).toBe(1);
    // The largest sharpen and the largest median, then a preset: the model does not run again.
    for (const tuning of [
      { preset: "gentle", overrides: { sharpen: 5, denoise: 7 } },
      { preset: "text" },
    ]) {
      const again = await preview({ tuning });
      expect(again.modelRan).toBe(false);
      expect(again.timings.runMs).toBe(0);
      expect(counting.calls.length).toBe(runs);
      const full = await runSuperResolution({
        model,
        input: chelsea,
        params: { tuning },
        encode: false,
        memoryBudgetBytes: SMALL_BUDGET,
      });
      expect(again.signature).toBe(full.signature);
      const expected = cropImage(full.image, {
        x: region.x * 2,
        y: region.y * 2,
        width: region.width * 2,
        height: region.height * 2,
      });
      expect(Buffer.from(again.image.data).equals(Buffer.from(expected.data))).toBe(true);
    }
    expect(cache.hits).toBe(2);
    // Another crop inside the tiles already run does not run the model either; one beyond them,
    // or another tile plan, does.
    const inside = await preview({ tuning: { preset: "raw" } }, { ...region, x: 133, y: 79 });
    expect(inside.modelRan).toBe(false);
    const moved = await preview({ tuning: { preset: "raw" } }, { ...region, x: 340 });
    expect(moved.modelRan).toBe(true);
    // The tiny model tiles exactly (its warm-up verified it): its output does not depend on the
    // tile plan, so another plan reuses it; blended, another plan is other pixels.
    expect(model.exactTiling).toBe(true);
    const otherTiles = await preview({ tile: 64, tuning: { preset: "raw" } });
    expect(otherTiles.modelRan).toBe(false);
    const blended = { ...counted, exactTiling: false };
    const blendedFirst = await runSuperResolution({
      model: blended,
      input: chelsea,
      params: { tuning: { preset: "raw" } },
      region,
      encode: false,
      memoryBudgetBytes: SMALL_BUDGET,
      modelOutputCache,
    });
    expect(blendedFirst.modelRan).toBe(true);
    const blendedOtherTiles = await runSuperResolution({
      model: blended,
      input: chelsea,
      params: { tile: 64, tuning: { preset: "raw" } },
      region,
      encode: false,
      memoryBudgetBytes: SMALL_BUDGET,
      modelOutputCache,
    });
    expect(blendedOtherTiles.modelRan).toBe(true);
    expect(cache.size).toBe(4);
  });

  it("keeps size and type for odd, 1-px wide, gray, RGBA and 16-bit inputs", async () => {
    const onePx = await sharp(read("chelsea.png"))
      .extract({ left: 10, top: 0, width: 1, height: 300 })
      .png()
      .toBuffer();
    const r1 = await runSuperResolution({ model, input: onePx, params: { tile: 64 } });
    expect([r1.image.width, r1.image.height, r1.image.channels]).toEqual([2, 600, 3]);
    const r1b = await decodeImage(r1.png);
    expect([r1b.width, r1b.height]).toEqual([2, 600]);

    const gray = await runSuperResolution({
      model,
      input: read("microaneurysms.png"),
      params: { tile: 48 },
    });
    expect([gray.image.width, gray.image.height, gray.image.channels, gray.image.depth]).toEqual([
      204, 204, 1, 8,
    ]);
    const grayOnGray = await runSuperResolution({
      model: grayModel,
      input: read("microaneurysms.png"),
    });
    expect([grayOnGray.image.width, grayOnGray.image.channels]).toEqual([306, 1]);
    const rgbOnGray = await runSuperResolution({
      model: grayModel,
      input: chelsea,
      params: { tile: 128 },
    });
    expect([rgbOnGray.image.width, rgbOnGray.image.height, rgbOnGray.image.channels]).toEqual([
      1353, 900, 3,
    ]);

    const rgba = await sharp(read("chelsea.png"))
      .ensureAlpha()
      .composite([
        {
          input: Buffer.from(
            '<svg width="451" height="300"><circle cx="200" cy="150" r="90" fill="black"/></svg>',
          ),
          blend: "dest-out",
        },
      ])
      .png()
      .toBuffer();
    const ra = await runSuperResolution({ model, input: rgba, params: { tile: 128 } });
    expect([ra.image.width, ra.image.height, ra.image.channels]).toEqual([902, 600, 4]);
    const decoded = await decodeImage(ra.png);
    expect(decoded.channels).toBe(4);
    // alpha: transparent in the circle's centre, opaque in the corner.
    expect(decoded.data[(300 * 902 + 400) * 4 + 3]).toBe(0);
    expect(decoded.data[(5 * 902 + 5) * 4 + 3]).toBe(255);
    const raCrop = await runSuperResolution({
      model,
      input: rgba,
      params: { tile: 128 },
      region: { x: 100, y: 40, width: 50, height: 60 },
    });
    const fullCrop = await sharp(Buffer.from(ra.image.data), {
      raw: { width: 902, height: 600, channels: 4 },
    })
      .extract({ left: 200, top: 80, width: 100, height: 120 })
      .raw()
      .toBuffer();
    expect(Buffer.from(raCrop.image.data)).toEqual(fullCrop);

    const tif = await decodeImage(read("chessboard_GRAY_U16.tif"));
    const r16 = await runSuperResolution({
      model,
      input: read("chessboard_GRAY_U16.tif"),
      params: { tile: 64 },
    });
    expect([r16.image.width, r16.image.height, r16.image.channels, r16.image.depth]).toEqual([
      400, 400, 1, 16,
    ]);
    expect(r16.image.data).toBeInstanceOf(Uint16Array);
    const png16 = await decodeImage(r16.png);
    expect([png16.depth, png16.channels]).toEqual([16, 1]);
    expect(tif.depth).toBe(16);
  });

  it("stops within one tile when aborted", async () => {
    const counting = new CountingRunner(model.runner);
    const controller = new AbortController();
    let seen = 0;
    const run = runSuperResolution({
      model: { ...model, runner: counting },
      input: chelsea,
      params: { tile: 64 },
      signal: controller.signal,
      onProgress: (p) => {
        seen = p.done;
        if (p.done === 3) controller.abort(new Error("user canceled"));
      },
    });
    await expect(run).rejects.toThrow("user canceled");
    expect(seen).toBe(3);
    expect(counting.calls.length).toBe(3);
  });

  it("halves the tile when onnxruntime fails to allocate, and reports it", async () => {
    // A real onnxruntime allocation failure: Expand to 1e11 floats fails in the CPU arena.
    const g = new GraphBuilder("alloc_fail");
    const x = g.input("x", "float32", [1]);
    const s = g.input("s", "int64", [1]);
    g.output(
      g.node("ReduceSum", [g.node("Expand", [x, s])], undefined, { outputs: ["y"] }),
      "float32",
      [1],
    );
    const failing = await ort.InferenceSession.create(g.toModel(), { logSeverityLevel: 4 });
    const realAllocationError = async (): Promise<never> => {
      await failing.run({
        x: new ort.Tensor("float32", new Float32Array([1]), [1]),
        s: new ort.Tensor("int64", new BigInt64Array([20_000_000_000n]), [1]),
      });
      throw new Error("expected an allocation failure");
    };
    const inner = model.runner;
    const sizes: number[] = [];
    const limited: ModelRunner = {
      device: inner.device,
      inputNames: inner.inputNames,
      outputNames: inner.outputNames,
      async run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
        sizes.push(Math.max(dims[2] ?? 0, dims[3] ?? 0));
        if ((dims[2] ?? 0) * (dims[3] ?? 0) > 100 * 100) return realAllocationError();
        return inner.run(input, dims);
      },
    };
    const res = await runSuperResolution({
      model: { ...model, runner: limited },
      input: chelsea,
      params: { tile: 384, tuning: { preset: "raw" } },
    });
    expect(res.tiling.retries.map((r) => [r.from, r.to])).toEqual([
      [384, 192],
      [192, 96],
    ]);
    expect(res.tiling.retries[0]?.reason).toMatch(/Failed to allocate memory/);
    expect(res.tiling.used).toBe(96);
    const reference = await runSuperResolution({
      model,
      input: chelsea,
      params: { tile: 96, tuning: { preset: "raw" } },
    });
    expect(Buffer.from(res.image.data).equals(Buffer.from(reference.image.data))).toBe(true);
    await failing.release();
  });
});
