import { describe, expect, it } from "vitest";
import type { RawImage } from "../image/types";
import {
  fillTensorRegion,
  imageToTensor,
  inputAffine,
  reflectIndex,
  resizeBilinear,
  tensorToPixels,
} from "./index";

const rgb: RawImage = {
  width: 3,
  height: 2,
  channels: 3,
  depth: 8,
  data: Uint8Array.from([
    10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180,
  ]),
};

describe("tensor conversion", () => {
  it("writes planar NCHW with mean/std in rgb and bgr order", () => {
    const t = imageToTensor(rgb, "rgb", {
      range: "0-1",
      mean: [0.5, 0.4, 0.3],
      std: [0.5, 0.25, 0.2],
    });
    expect(t.length).toBe(18);
    expect(t[0]).toBeCloseTo((10 / 255 - 0.5) / 0.5, 6);
    expect(t[6 + 1]).toBeCloseTo((50 / 255 - 0.4) / 0.25, 6);
    expect(t[12 + 5]).toBeCloseTo((180 / 255 - 0.3) / 0.2, 6);
    const b = imageToTensor(rgb, "bgr", { range: "0-255", mean: [0], std: [1] });
    expect(Array.from(b.subarray(0, 6))).toEqual([30, 60, 90, 120, 150, 180]);
    expect(Array.from(b.subarray(12, 18))).toEqual([10, 40, 70, 100, 130, 160]);
  });

  it("converts colour to luma for gray models and 16-bit ranges", () => {
    const g = imageToTensor(rgb, "gray", { range: "0-255", mean: [0], std: [1] });
    expect(g[0]).toBeCloseTo(0.299 * 10 + 0.587 * 20 + 0.114 * 30, 4);
    const wide: RawImage = {
      width: 1,
      height: 1,
      channels: 1,
      depth: 16,
      data: Uint16Array.of(65535),
    };
    expect(imageToTensor(wide, "rgb", { range: "0-1", mean: [0], std: [1] })[2]).toBeCloseTo(1, 6);
  });

  it("reflects outside the image without repeating the edge", () => {
    expect([-2, -1, 0, 1, 2, 3, 4].map((i) => reflectIndex(i, 3))).toEqual([2, 1, 0, 1, 2, 1, 0]);
    expect(reflectIndex(-5, 1)).toBe(0);
    const out = new Float32Array(5);
    const affine = inputAffine({ range: "0-255", mean: [0], std: [1] }, "gray", 8);
    const row: RawImage = {
      width: 3,
      height: 1,
      channels: 1,
      depth: 8,
      data: Uint8Array.of(1, 2, 3),
    };
    fillTensorRegion(row, { x: -1, y: 0, width: 5, height: 1 }, "gray", affine, out);
    expect(Array.from(out)).toEqual([2, 1, 2, 3, 2]);
  });

  it("maps output tensors back to rounded, clamped pixels", () => {
    const t = Float32Array.from([0, 0.5, 1.2, -0.1, 0.25, 1]);
    const dest: RawImage = {
      width: 2,
      height: 1,
      channels: 3,
      depth: 16,
      data: new Uint16Array(6),
    };
    tensorToPixels(t, 2, 1, "bgr", "0-1", dest);
    // planes are B, G, R: pixel 0 = (R .25, G 1.2, B 0), pixel 1 = (R 1, G -0.1, B .5)
    expect(Array.from(dest.data)).toEqual([16384, 65535, 0, 65535, 0, 32768]);
  });

  it("resizes bilinearly with half-pixel centres", () => {
    const src = Float32Array.from([0, 10]);
    expect(Array.from(resizeBilinear(src, 1, 2, 1, 4, 1))).toEqual([0, 2.5, 7.5, 10]);
  });
});
