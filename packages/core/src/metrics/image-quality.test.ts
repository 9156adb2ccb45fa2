import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  cropPlane,
  imageQuality,
  lumaPlane,
  psnr,
  psnrFromMse,
  SSIM_GAUSSIAN,
  ssim,
} from "./image-quality";

const fixtures = JSON.parse(
  readFileSync(new URL("./fixtures/metrics-fixtures.json", import.meta.url), "utf8"),
) as {
  quality: Array<{
    width: number;
    height: number;
    crop: number;
    restored: number[];
    reference: number[];
    psnr: number;
    ssim: number;
  }>;
};

describe("PSNR and SSIM on Y", () => {
  it("uses BT.601 luma in 16..235 as BasicSR does", () => {
    const y = lumaPlane({
      width: 3,
      height: 1,
      channels: 3,
      data: [0, 0, 0, 255, 255, 255, 255, 0, 0],
    });
    expect(y.data[0]).toBeCloseTo(16, 12);
    expect(y.data[1]).toBeCloseTo(235, 12);
    expect(y.data[2]).toBeCloseTo(16 + 65.481, 12);
  });

  it("computes PSNR by hand: a constant error of 1 is 48.13 dB, none is infinite", () => {
    const a = { width: 2, height: 2, data: Float64Array.from([10, 20, 30, 40]) };
    const b = { width: 2, height: 2, data: Float64Array.from([11, 21, 31, 41]) };
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(255 * 255), 12);
    expect(psnr(a, a)).toBe(Number.POSITIVE_INFINITY);
    expect(psnrFromMse(255 * 255)).toBe(0);
  });

  it("has the normalised 11-tap Gaussian of sigma 1.5", () => {
    expect(SSIM_GAUSSIAN).toHaveLength(11);
    expect(SSIM_GAUSSIAN.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
    // Symmetric, and neighbours one apart differ by exp(-(d^2 - (d-1)^2) / (2 * 1.5^2)).
    expect(SSIM_GAUSSIAN[0]).toBeCloseTo(SSIM_GAUSSIAN[10] as number, 15);
    expect((SSIM_GAUSSIAN[6] as number) / (SSIM_GAUSSIAN[5] as number)).toBeCloseTo(
      Math.exp(-1 / 4.5),
      14,
    );
  });

  it("gives SSIM 1 for identical images and less for a noisy copy", () => {
    const w = 16;
    const data = Float64Array.from({ length: w * w }, (_, i) => (i * 37) % 251);
    const noisy = data.map((v, i) => v + ((i % 3) - 1) * 5);
    const a = { width: w, height: w, data };
    expect(ssim(a, a)).toBeCloseTo(1, 14);
    expect(ssim(a, { width: w, height: w, data: noisy })).toBeLessThan(1);
  });

  it("matches numpy/torch (BasicSR's formulas) on the fixtures, with borders cropped", () => {
    for (const q of fixtures.quality) {
      const img = (data: number[]) => ({ width: q.width, height: q.height, channels: 3, data });
      const got = imageQuality(img(q.restored), img(q.reference), q.crop);
      expect(got.psnr).toBeCloseTo(q.psnr, 9);
      expect(got.ssim).toBeCloseTo(q.ssim, 9);
    }
  });

  it("crops the border and refuses images too small to measure", () => {
    const p = { width: 4, height: 3, data: Float64Array.from({ length: 12 }, (_, i) => i) };
    expect([...cropPlane(p, 1).data]).toEqual([5, 6]);
    expect(() => cropPlane(p, 2)).toThrow(/too small/);
    expect(() => ssim(p, p)).toThrow(/at least 11x11/);
  });
});
