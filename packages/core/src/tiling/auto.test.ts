import { describe, expect, it } from "vitest";
import { autoTileSize, bytesPerTilePixel } from "./auto";

const base = { budgetBytes: 1024 << 20, inChannels: 3, outChannels: 3, scale: 2, overlap: 20 };

describe("auto tile size per model", () => {
  it("gives a model that needs more memory per pixel a smaller tile under the same budget", () => {
    const light = autoTileSize(base);
    // SwinIR-M-like: ~18 KB per input pixel (window attention), RRDBNet ~16 KB (measured).
    const heavy = autoTileSize({ ...base, bytesPerPixel: 18_000 });
    expect(heavy).toBeLessThan(light);
    // The tile plus its overlap fits the budget at the model's figure.
    expect((heavy + 2 * base.overlap) ** 2 * 18_000).toBeLessThanOrEqual(base.budgetBytes);
    expect((heavy + 8 + 2 * base.overlap) ** 2 * 18_000).toBeGreaterThan(base.budgetBytes);
  });

  it("never makes tiles bigger than the generic estimate from a low measurement", () => {
    const generic = bytesPerTilePixel(3, 3, 2);
    expect(autoTileSize({ ...base, bytesPerPixel: generic / 10 })).toBe(autoTileSize(base));
  });
});
