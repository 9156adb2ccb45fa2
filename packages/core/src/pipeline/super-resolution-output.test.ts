// Output size after the model: a crop (preview) of a resized result equals the same crop of the
// full run, pixel for pixel, and sizes the model cannot give are refused in words.
import { readFileSync } from "node:fs";
import { fixturePath } from "@studio/fixtures";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import type { RawImage } from "../image/types";
import { buildTinySrModel } from "../onnx/testing-models";
import type { SuperResolutionSpec } from "../spec/index";
import { cropImage } from "./alpha";
import type { PreparedModel } from "./model";
import { outputRect, runSuperResolution } from "./super-resolution";
import { prepareTinySr } from "./testing";

const tiny = buildTinySrModel({ scale: 2, layers: 4, seed: 7 });
let model: PreparedModel<SuperResolutionSpec>;
let chelsea: RawImage;

beforeAll(async () => {
  model = await prepareTinySr(tiny);
  chelsea = await decodeImage(readFileSync(fixturePath("chelsea.png")));
});

describe("super-resolution output size", () => {
  it("resamples after the model, and a preview crop equals the crop of the full run", async () => {
    for (const size of [
      { mode: "scale", scale: 1 },
      { mode: "width", width: 700 },
    ] as const) {
      const params = { tile: 96, output: { size } };
      const full = await runSuperResolution({ model, input: chelsea, params });
      const expected = size.mode === "scale" ? [451, 300] : [700, Math.round((300 * 700) / 451)];
      expect([full.image.width, full.image.height]).toEqual(expected);
      expect(full.output.resampled).toBe(true);
      for (const region of [
        { x: 100, y: 60, width: 64, height: 48 },
        { x: 0, y: 0, width: 40, height: 40 },
        { x: 451 - 33, y: 300 - 21, width: 33, height: 21 },
      ]) {
        const crop = await runSuperResolution({ model, input: chelsea, params, region });
        const rect = outputRect(region, chelsea, full.output);
        expect(crop.signature).toBe(full.signature);
        expect(
          Buffer.from(crop.image.data).equals(Buffer.from(cropImage(full.image, rect).data)),
        ).toBe(true);
      }
    }
    // Lanczos-3 here and libvips' own lanczos3 on the whole image agree closely.
    const model2x = await runSuperResolution({ model, input: chelsea, params: { tile: 96 } });
    const half = await runSuperResolution({
      model,
      input: chelsea,
      params: { tile: 96, output: { size: { mode: "scale", scale: 1 } } },
    });
    const vips = await sharp(Buffer.from(model2x.image.data), {
      raw: { width: 902, height: 600, channels: 3 },
    })
      .resize(451, 300, { kernel: "lanczos3" })
      .raw()
      .toBuffer();
    let sum = 0;
    for (let i = 0; i < vips.length; i++)
      sum += Math.abs((vips[i] as number) - (half.image.data[i] as number));
    expect(sum / vips.length).toBeLessThan(1.5);
  });

  it("refuses a size larger than the model gives, in words", async () => {
    await expect(
      runSuperResolution({
        model,
        input: chelsea,
        params: { output: { size: { mode: "scale", scale: 4 } } },
      }),
    ).rejects.toThrow(/x4 is larger than this model's x2/);
    await expect(
      runSuperResolution({
        model,
        input: chelsea,
        params: { output: { size: { mode: "width", width: 1000 } } },
      }),
    ).rejects.toThrow(/902 px or less/);
  });

  it("keeps alpha and 16 bits through the model", async () => {
    const w = 48;
    const h = 32;
    const data = new Uint16Array(w * h * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) % 65536;
    const png = await sharp(Buffer.from(data.buffer), { raw: { width: w, height: h, channels: 4 } })
      .toColourspace("rgb16")
      .png()
      .toBuffer();
    const r = await runSuperResolution({ model, input: png, params: { tile: "off" } });
    expect([r.image.width, r.image.height, r.image.channels, r.image.depth]).toEqual([
      96, 64, 4, 16,
    ]);
  });
});
