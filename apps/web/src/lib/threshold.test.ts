import { describe, expect, it } from "vitest";
import { binarize, foregroundShare, overlayPixels } from "./threshold";

const grey = (...levels: number[]) => new Uint8ClampedArray(levels.flatMap((v) => [v, v, v, 255]));

describe("binarize", () => {
  it("marks pixels at or above the threshold as foreground", () => {
    const mask = binarize(grey(0, 127, 128, 255), 0.5);
    expect([mask[0], mask[4], mask[8], mask[12]]).toEqual([0, 0, 255, 255]);
    expect(mask[3]).toBe(255);
  });

  it("a lower threshold grows the mask, a higher one shrinks it", () => {
    const map = grey(10, 60, 120, 200, 250);
    expect(foregroundShare(map, 0.1)).toBeGreaterThan(foregroundShare(map, 0.5));
    expect(foregroundShare(map, 0.5)).toBeGreaterThan(foregroundShare(map, 0.9));
    expect(foregroundShare(map, 0)).toBe(1);
  });
});

describe("overlayPixels", () => {
  it("colours the foreground and leaves the background transparent", () => {
    const out = overlayPixels(grey(0, 255), 0.5, [255, 0, 0]);
    expect(Array.from(out)).toEqual([255, 0, 0, 0, 255, 0, 0, 255]);
  });
});
