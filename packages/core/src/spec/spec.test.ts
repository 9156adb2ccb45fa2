import { describe, expect, it } from "vitest";
import {
  ModelSpec,
  OCTA_SEGMENTATION_SPEC,
  parseParams,
  resolveTuning,
  SuperResolutionParams,
  TUNING_PRESETS,
} from "./index";

describe("spec", () => {
  it("has the seed's OCTA preset", () => {
    expect(OCTA_SEGMENTATION_SPEC).toEqual({
      kind: "segmentation",
      colorOrder: "gray",
      layout: "NCHW",
      size: { mode: "fixed", width: 256, height: 256 },
      normalization: { range: "0-1", mean: [0.5], std: [0.5] },
      receptiveField: 0,
      activation: "sigmoid",
      foregroundChannel: 0,
      defaultThreshold: 0.5,
    });
  });

  it("fills defaults per task kind", () => {
    expect(parseParams("segmentation", undefined)).toMatchObject({
      threshold: 0.5,
      tile: 512,
      overlap: "auto",
    });
    expect(parseParams("super_resolution", {})).toMatchObject({
      tile: "auto",
      tuning: { preset: "gentle" },
    });
    expect(parseParams("classification", {})).toEqual({ topK: 5, applyActivation: true });
    expect(ModelSpec.parse({ kind: "super_resolution", scale: 4 })).toMatchObject({
      colorOrder: "rgb",
      size: { mode: "dynamic", multipleOf: 1 },
      normalization: { mean: [0], std: [1] },
    });
  });

  it("rejects what makes no sense", () => {
    expect(() => parseParams("segmentation", { threshold: 1.5 })).toThrow();
    expect(() => parseParams("super_resolution", { tile: 8 })).toThrow();
    expect(() => ModelSpec.parse({ kind: "super_resolution" })).toThrow();
    expect(() => ModelSpec.parse({ kind: "segmentation", normalization: { std: [0] } })).toThrow(
      /std/,
    );
  });

  it("resolves tuning presets; raw means no tuning at all", () => {
    expect(resolveTuning(SuperResolutionParams.parse({}).tuning)).toEqual(TUNING_PRESETS.gentle);
    expect(resolveTuning({ preset: "raw", overrides: { sharpen: 1 } })).toBeNull();
    expect(resolveTuning({ preset: "anime", overrides: { sharpen: 0 } })?.sharpen).toBe(0);
    expect(TUNING_PRESETS.gentle.sharpen).toBeLessThan(TUNING_PRESETS.photo.sharpen);
  });
});

describe("thresholdProbability", () => {
  it("applies value / max >= threshold", async () => {
    const { thresholdProbability } = await import("./mask");
    expect(Array.from(thresholdProbability([0, 32767, 32768, 65535], 16, 0.5))).toEqual([
      0, 0, 255, 255,
    ]);
    expect(Array.from(thresholdProbability([127, 128], 8, 0.5))).toEqual([0, 255]);
  });
});
