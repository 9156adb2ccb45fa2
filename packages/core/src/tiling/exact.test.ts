import { fixturePath, readFixture } from "@studio/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import type { RawImage } from "../image/types";
import { convertNcnnFiles } from "../ncnn/convert";
import { cropImage } from "../pipeline/alpha";
import type { PreparedModel } from "../pipeline/model";
import { runSuperResolution } from "../pipeline/super-resolution";
import { CountingRunner, prepareFromBytes } from "../pipeline/testing";
import type { SuperResolutionSpec } from "../spec/index";
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
      expect(Buffer.from(tiled.image.data).equals(Buffer.from(untiled.image.data))).toBe(true);
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
    const expected = cropImage(full.image, {
      x: region.x * 4,
      y: region.y * 4,
      width: region.width * 4,
      height: region.height * 4,
    });
    expect(Buffer.from(crop.image.data).equals(Buffer.from(expected.data))).toBe(true);
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
