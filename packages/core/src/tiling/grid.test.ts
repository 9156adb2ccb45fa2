import { describe, expect, it } from "vitest";
import { AUTO_MAX_TILE, autoTileSize } from "./auto";
import { autoOverlap, axisWeights, splitAxis, splitOverlap } from "./grid";

describe("splitAxis", () => {
  it("evens out tile sizes and keeps the overlap", () => {
    for (const [L, T, O, m] of [
      [451, 192, 20, 1],
      [1000, 192, 20, 1],
      [193, 192, 10, 1],
      [2048, 192, 24, 1],
      [600, 128, 24, 2],
      [1411, 256, 40, 32],
    ] as const) {
      const a = splitAxis(L, T, O, m);
      const n = a.starts.length;
      expect(a.starts[0]).toBe(0);
      expect((a.starts[n - 1] as number) + (a.sizes[n - 1] as number)).toBe(L);
      for (let i = 0; i < n; i++) {
        expect((a.starts[i] as number) % m).toBe(0);
        expect(a.sizes[i]).toBeLessThanOrEqual(Math.floor(T / m) * m + m - 1);
        if (i < n - 1) {
          expect(a.sizes[i]).toBe(a.sizes[0]);
          expect(
            (a.starts[i] as number) + (a.sizes[i] as number) - (a.starts[i + 1] as number),
          ).toBeGreaterThanOrEqual(O);
        }
      }
      // No thin last tile: the last one is at least as big as the others.
      expect(a.sizes[n - 1]).toBeGreaterThanOrEqual(a.sizes[0] as number);
    }
  });

  it("uses one tile when the image fits", () => {
    expect(splitAxis(100, 192, 20)).toMatchObject({ size: 100, starts: Int32Array.of(0) });
    expect(splitAxis(1, 192, 20).sizes).toEqual(Int32Array.of(1));
  });

  it("has blend weights that sum to 1 everywhere and are 0 in the margins", () => {
    const axis = splitAxis(451, 96, 20);
    const split = splitOverlap(20);
    for (const scale of [1, 4]) {
      const w = axisWeights(axis, scale, split);
      const sum = new Float64Array(451 * scale);
      w.forEach((wi, i) => {
        const base = (axis.starts[i] as number) * scale;
        for (let u = 0; u < wi.length; u++)
          sum[base + u] = (sum[base + u] as number) + (wi[u] as number);
        if (i > 0) for (let u = 0; u < split.margin * scale; u++) expect(wi[u]).toBe(0);
      });
      for (const v of sum) expect(v).toBeCloseTo(1, 5);
    }
  });

  it("derives overlap from the receptive field and auto tile from a budget", () => {
    expect(autoOverlap(4)).toBe(12);
    expect(autoOverlap(3)).toBe(10);
    expect(splitOverlap(autoOverlap(3)).margin).toBeGreaterThanOrEqual(3);
    expect(autoOverlap(18)).toBe(23);
    expect(splitOverlap(autoOverlap(18)).margin).toBe(9);
    const small = autoTileSize({
      budgetBytes: 64 << 20,
      inChannels: 3,
      outChannels: 3,
      scale: 4,
      overlap: 20,
    });
    const big = autoTileSize({
      budgetBytes: 1024 << 20,
      inChannels: 3,
      outChannels: 3,
      scale: 4,
      overlap: 20,
    });
    expect(small).toBeLessThan(big);
    // Gigabytes free still give tiles of at most AUTO_MAX_TILE (bounded previews and arena).
    expect(
      autoTileSize({
        budgetBytes: 64 * 1024 ** 3,
        inChannels: 3,
        outChannels: 3,
        scale: 4,
        overlap: 23,
      }),
    ).toBe(AUTO_MAX_TILE);
    expect(
      autoTileSize({
        budgetBytes: 1024 << 20,
        inChannels: 3,
        outChannels: 3,
        scale: 4,
        overlap: 20,
        multipleOf: 32,
      }) % 32,
    ).toBe(0);
  });
});
