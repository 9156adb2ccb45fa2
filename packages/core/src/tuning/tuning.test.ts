import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import { resolveTuning, TuningParams } from "../spec/index";
import { applyTuning } from "./index";

const fixtures = join(import.meta.dirname, "../../test-fixtures");

describe("applyTuning", () => {
  it("raw returns the very same pixels; gentle changes them but keeps shape", async () => {
    const img = await decodeImage(readFileSync(join(fixtures, "chelsea.png")));
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
    const img = await decodeImage(readFileSync(join(fixtures, "camera.png")));
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
    const g = await applyTuning(img, {
      sharpen: 0,
      contrast: 1,
      brightness: 1,
      saturation: 1,
      gamma: 2,
      denoise: 0,
    });
    const mid = img.data.findIndex((v) => v > 100 && v < 150);
    expect(g.data[mid]).toBe(Math.round(255 * ((img.data[mid] as number) / 255) ** 0.5));
  });
});
