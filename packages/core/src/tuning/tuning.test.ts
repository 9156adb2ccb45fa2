import { readFileSync } from "node:fs";
import { fixturePath } from "@studio/fixtures";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import type { RawImage } from "../image/types";
import { NEUTRAL_TUNING, resolveTuning, TuningParams, type TuningValues } from "../spec/index";
import { maxDifference } from "../testing-numbers";
import { applyTuning } from "./index";

/**
 * The definition, pixel by pixel in doubles: luma unsharp mask with a 2-D Gaussian reaching to
 * 1% (edges replicated), then saturation about luma, contrast about mid-grey, brightness.
 */
function reference(img: RawImage, v: TuningValues): number[] {
  const { width: w, height: h, channels: c } = img;
  const px = (x: number, y: number, ch: number) =>
    img.data[
      (Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * c + ch
    ] as number;
  const luma = (x: number, y: number) =>
    c === 1 ? px(x, y, 0) : 0.299 * px(x, y, 0) + 0.587 * px(x, y, 1) + 0.114 * px(x, y, 2);
  const sigma = Math.max(v.sharpen, 0.3);
  const radius = Math.floor(sigma * Math.sqrt(-2 * Math.log(0.01)));
  const weights = Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  const total = weights.reduce((a, b) => a + b, 0);
  const mid = img.depth === 16 ? 32768 : 128;
  const max = img.depth === 16 ? 65535 : 255;
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let blurred = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          blurred +=
            ((weights[dy + radius] as number) *
              (weights[dx + radius] as number) *
              luma(x + dx, y + dy)) /
            total /
            total;
        }
      }
      const y0 = luma(x, y);
      const detail = v.sharpen > 0 ? y0 - blurred : 0;
      for (let ch = 0; ch < c; ch++) {
        const sharpened = px(x, y, ch) + detail;
        const saturated =
          c === 1 ? sharpened : y0 + detail + v.saturation * (sharpened - y0 - detail);
        const value = v.brightness * (v.contrast * (saturated - mid) + mid);
        out.push(Math.min(max, Math.max(0, Math.round(value))));
      }
    }
  }
  return out;
}

describe("applyTuning", () => {
  it("raw returns the very same pixels; gentle changes them but keeps shape", async () => {
    const img = await decodeImage(readFileSync(fixturePath("chelsea.png")));
    const raw = await applyTuning(
      img,
      resolveTuning(TuningParams.parse({ preset: "raw", overrides: { contrast: 2 } })),
    );
    expect(raw).toBe(img);
    const gentle = await applyTuning(img, resolveTuning(TuningParams.parse({})));
    expect([gentle.width, gentle.height, gentle.channels, gentle.depth]).toEqual([451, 300, 3, 8]);
    let diff = 0;
    for (let i = 0; i < img.data.length; i++)
      diff += Math.abs((img.data[i] as number) - (gentle.data[i] as number));
    expect(diff / img.data.length).toBeGreaterThan(0.5);
    expect(diff / img.data.length).toBeLessThan(15);
  });

  it("keeps 16-bit gray 16-bit and gray, and gamma brightens mid-tones", async () => {
    const img = await decodeImage(readFileSync(fixturePath("camera.png")));
    const wide = {
      ...img,
      depth: 16 as const,
      data: Uint16Array.from(img.data, (v) => v * 257 + 3),
    };
    const out = await applyTuning(wide, resolveTuning(TuningParams.parse({ preset: "photo" })));
    expect([out.channels, out.depth]).toEqual([1, 16]);
    expect(out.data).toBeInstanceOf(Uint16Array);
    // Real 16-bit precision survives (not all values multiples of 257).
    expect(Array.from(out.data.subarray(0, 5000)).some((v) => v % 257 !== 0)).toBe(true);
    const g = await applyTuning(img, { ...NEUTRAL_TUNING, gamma: 2 });
    const mid = img.data.findIndex((v) => v > 100 && v < 150);
    expect(g.data[mid]).toBe(Math.round(255 * ((img.data[mid] as number) / 255) ** 0.5));
  });

  it("matches the pixel-by-pixel definition across strip boundaries, in colour and gray", async () => {
    const photo = await decodeImage(readFileSync(fixturePath("chelsea.png")));
    // 150 rows: three strips of the strip-wise pass, with the blur reaching across each seam.
    const rgb: RawImage = {
      ...photo,
      height: 150,
      data: photo.data.slice(0, photo.width * 150 * 3),
    };
    const camera = await decodeImage(readFileSync(fixturePath("camera.png")));
    const gray: RawImage = {
      ...camera,
      height: 150,
      data: camera.data.slice(0, camera.width * 150),
    };
    for (const img of [rgb, gray]) {
      // 0.5: the 3-tap fast path; 1.5: the general kernel (radius 4).
      for (const sharpen of [0.5, 1.5]) {
        const v = { ...NEUTRAL_TUNING, sharpen, contrast: 1.1, brightness: 0.95, saturation: 1.2 };
        const tuned = await applyTuning(img, v);
        // Float32 sums against doubles: a rounding may land one step apart, never more.
        expect(
          maxDifference(tuned.data, reference(img, v)),
          `${img.channels}ch sharpen ${sharpen}`,
        ).toBeLessThanOrEqual(1);
      }
    }
  });

  it("in place gives the same pixels as a copy, and reports strips top to bottom", async () => {
    const img = await decodeImage(readFileSync(fixturePath("chelsea.png")));
    const v = resolveTuning(TuningParams.parse({ preset: "photo" }));
    const copy = await applyTuning(img, v);
    const own = { ...img, data: img.data.slice() };
    const strips: [number, number][] = [];
    const inPlace = await applyTuning(own, v, {
      inPlace: true,
      onRows: (tuned, y0, y1) => {
        expect(tuned.data).toBe(own.data);
        strips.push([y0, y1]);
      },
    });
    expect(inPlace.data).toBe(own.data);
    expect(maxDifference(inPlace.data, copy.data)).toBe(0);
    expect(maxDifference(img.data, copy.data)).toBeGreaterThan(0);
    expect(strips[0]?.[0]).toBe(0);
    expect(strips.at(-1)?.[1]).toBe(img.height);
    for (let i = 1; i < strips.length; i++) expect(strips[i]?.[0]).toBe(strips[i - 1]?.[1]);
    expect(strips.length).toBeGreaterThan(1);
  });
});
