import { fixturePath, readFixture } from "@studio/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import type { RawImage } from "../image/types";
import { convertNcnnFiles } from "../ncnn/convert";
import { cropImage } from "../pipeline/alpha";
import { byteOutputAgrees } from "../pipeline/byte-output";
import type { PreparedModel } from "../pipeline/model";
import { runSuperResolution } from "../pipeline/super-resolution";
import { CountingRunner, prepareFromBytes } from "../pipeline/testing";
import type { SuperResolutionSpec } from "../spec/index";
import { imageToTensor, type Rect, tensorToPixels } from "../tensor/index";
import { AUTO_MAX_TILE, AUTO_MAX_TILE_EXACT, autoTileSize } from "./auto";
import { exactWindow } from "./exact";
import { autoOverlap } from "./grid";

// The official default, Real-ESRGAN AnimeVideo v3 x4: 18 stacked 3x3 convolutions.
const ANIMEVIDEO = {
  kind: "super_resolution",
  scale: 4,
  receptiveField: 18,
  size: { mode: "dynamic", multipleOf: 1, minSize: 1 },
} as const;

let fp32: Uint8Array;
let exact: PreparedModel<SuperResolutionSpec>;
let photo: RawImage;

beforeAll(async () => {
  fp32 = (
    await convertNcnnFiles(
      fixturePath("realesr-animevideov3-x4.param"),
      fixturePath("realesr-animevideov3-x4.bin"),
    )
  ).bytes;
  exact = await prepareFromBytes<SuperResolutionSpec>(fp32, ANIMEVIDEO);
  photo = cropImage(await decodeImage(readFixture("chelsea.png")), {
    x: 120,
    y: 40,
    width: 190,
    height: 150,
  });
}, 120_000);

const raw = { tuning: { preset: "raw" } } as const;

/** The x4 output pixels of an input region. */
const outputOf = (image: RawImage, region: Rect) =>
  cropImage(image, {
    x: region.x * 4,
    y: region.y * 4,
    width: region.width * 4,
    height: region.height * 4,
  });
const samePixels = (a: RawImage, b: RawImage) => Buffer.from(a.data).equals(Buffer.from(b.data));

describe("exact tiling", () => {
  it("is verified on the session: the true receptive field passes, a smaller one does not", async () => {
    expect(exact.exactTiling).toBe(true);
    // 16 px of context is too little for 18 convolutions: the check sees differing samples.
    const tooSmall = await prepareFromBytes<SuperResolutionSpec>(fp32, {
      ...ANIMEVIDEO,
      receptiveField: 16,
    });
    expect(tooSmall.exactTiling).toBeUndefined();
    const r = await runSuperResolution({
      model: tooSmall,
      input: photo,
      params: { ...raw, tile: 64 },
      encode: false,
    });
    expect(r.tiling.exact).toBeUndefined();
    expect(r.tiling.overlap).toBe(autoOverlap(16));
  }, 60_000);

  it("tiles of any size give the untiled output bit for bit", async () => {
    const untiled = await runSuperResolution({
      model: exact,
      input: photo,
      params: { ...raw, tile: "off" },
      encode: false,
    });
    for (const tile of [48, 100]) {
      const tiled = await runSuperResolution({
        model: exact,
        input: photo,
        params: { ...raw, tile },
        encode: false,
      });
      expect(tiled.tiling).toMatchObject({ exact: true, overlap: 36 });
      expect(tiled.tiling.tileCount).toBeGreaterThan(1);
      expect(samePixels(tiled.image, untiled.image)).toBe(true);
    }
  }, 60_000);

  it("a preview computes only its crop's window, whatever the task's tiles, and equals the task", async () => {
    const full = await runSuperResolution({
      model: exact,
      input: photo,
      params: { tuning: { preset: "gentle" } },
      encode: false,
    });
    // "auto" on plenty of memory: the whole image is one tile.
    expect(full.tiling).toMatchObject({ exact: true, tileCount: 1 });
    const region = { x: 70, y: 50, width: 40, height: 30 };
    const counting = new CountingRunner(exact.runner);
    const crop = await runSuperResolution({
      model: { ...exact, runner: counting },
      input: photo,
      params: { tuning: { preset: "gentle" } },
      region,
      encode: false,
    });
    // One run on the crop plus its tuning margin plus the receptive field, not the whole tile.
    expect(counting.calls).toHaveLength(1);
    const [, , h, w] = counting.calls[0] as number[];
    expect((w as number) * (h as number)).toBeLessThan((photo.width * photo.height) / 2);
    expect(samePixels(crop.image, outputOf(full.image, region))).toBe(true);
  }, 60_000);

  it("adds no border: the result is the model's own output on the whole image, edges included", async () => {
    const { spec } = exact;
    const out = await exact.runner.run(imageToTensor(photo, spec.colorOrder, spec.normalization), [
      1,
      3,
      photo.height,
      photo.width,
    ]);
    const [width, height] = [photo.width * 4, photo.height * 4];
    const bare = tensorToPixels(out.data, width, height, spec.colorOrder, spec.outputRange, {
      width,
      height,
      channels: 3,
      depth: 8,
      data: new Uint8Array(width * height * 3),
    });
    for (const tile of ["off", 48] as const) {
      const counting = new CountingRunner(exact.runner);
      const r = await runSuperResolution({
        model: { ...exact, runner: counting },
        input: photo,
        params: { ...raw, tile },
        encode: false,
      });
      expect(r.tiling.exact).toBe(true);
      if (tile === "off") expect(counting.calls).toEqual([[1, 3, photo.height, photo.width]]);
      // Cut tiles, one or several, take the graph's 8-bit output: the pixels of the floats.
      expect(counting.byteCalls).toBe((await byteOutputAgrees()) ? r.tiling.tileCount : 0);
      if (tile === 48) expect(r.tiling.tileCount).toBeGreaterThan(4);
      expect(samePixels(r.image, bare)).toBe(true);
    }
  }, 60_000);

  it("a preview at the image's far corner equals the task there, on a model with a size grid and a minimum size", async () => {
    // The same net declared with a grid of 4 (190 px wide: 2 px of alignment at the right edge)
    // and a 48 px minimum, larger than the corner crop's window.
    const gridded = await prepareFromBytes<SuperResolutionSpec>(fp32, {
      ...ANIMEVIDEO,
      size: { mode: "dynamic", multipleOf: 4, minSize: 48 },
    });
    expect(gridded.exactTiling).toBe(true);
    const full = await runSuperResolution({
      model: gridded,
      input: photo,
      params: { ...raw, tile: 64 },
      encode: false,
    });
    const region = { x: photo.width - 12, y: photo.height - 10, width: 12, height: 10 };
    const counting = new CountingRunner(gridded.runner);
    const crop = await runSuperResolution({
      model: { ...gridded, runner: counting },
      input: photo,
      params: raw,
      region,
      encode: false,
    });
    // The window reaches 48 px back from the far edges (to 142 and 102, on the grid: 140 and
    // 100), so 50 px, and gets the untiled run's 2 px of alignment past the edge: 52.
    expect(counting.calls).toEqual([[1, 3, 52, 52]]);
    expect(samePixels(crop.image, outputOf(full.image, region))).toBe(true);
  }, 60_000);

  it("windows keep the model's size grid and stop at the image's edges", () => {
    const image = { width: 100, height: 80 };
    expect(exactWindow({ x: 30, y: 30, width: 10, height: 10 }, image, 18, 8)).toEqual({
      x: 8,
      y: 8,
      width: 50,
      height: 50,
    });
    expect(exactWindow({ x: 5, y: 70, width: 90, height: 10 }, image, 18, 1)).toEqual({
      x: 0,
      y: 52,
      width: 100,
      height: 28,
    });
    // Shorter than the model's minimum: reaching further into the image, not past its edge.
    expect(exactWindow({ x: 95, y: 75, width: 5, height: 5 }, image, 18, 4, 32)).toEqual({
      x: 68,
      y: 48,
      width: 32,
      height: 32,
    });
  });

  it("auto tiles of exactly tiled models may be larger, still within the memory budget", () => {
    const base = { inChannels: 3, outChannels: 3, scale: 4, overlap: 36 };
    const plenty = 16 * 1024 ** 3;
    expect(autoTileSize({ ...base, budgetBytes: plenty })).toBe(AUTO_MAX_TILE);
    expect(autoTileSize({ ...base, budgetBytes: plenty, maxTile: AUTO_MAX_TILE_EXACT })).toBe(
      AUTO_MAX_TILE_EXACT,
    );
    // 1 GiB at 1228 bytes per input pixel: sqrt(874k) = 935 px minus the overlaps.
    expect(autoTileSize({ ...base, budgetBytes: 1024 ** 3, maxTile: AUTO_MAX_TILE_EXACT })).toBe(
      935 - 72,
    );
  });
});
