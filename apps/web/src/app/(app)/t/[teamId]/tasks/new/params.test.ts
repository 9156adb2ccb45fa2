import { describe, expect, it } from "vitest";
import { DEFAULT_FORM, isCustomTuning, maxTopK, previewUsesCrop } from "./params";

describe("new task parameters", () => {
  it("a preset stays itself until a slider moves a value away from it", () => {
    expect(isCustomTuning(DEFAULT_FORM)).toBe(false);
    const anime = { ...DEFAULT_FORM, preset: "anime" as const };
    expect(isCustomTuning({ ...anime, overrides: { sharpen: 0.3 } })).toBe(false);
    expect(isCustomTuning({ ...anime, overrides: { sharpen: 0.4 } })).toBe(true);
    expect(isCustomTuning({ ...anime, overrides: { denoise: 0 } })).toBe(true);
    // Raw output has no tuning to depart from.
    expect(isCustomTuning({ ...DEFAULT_FORM, preset: "raw", overrides: { gamma: 2 } })).toBe(false);
  });

  it("Top-k reaches the weight's label count, or the slider's cap when it names no labels", () => {
    expect(maxTopK(2)).toBe(2);
    expect(maxTopK(1000)).toBe(1000);
    expect(maxTopK(0)).toBe(20);
  });

  it("only classification previews the whole image", () => {
    expect(previewUsesCrop("classification")).toBe(false);
    expect(previewUsesCrop("super_resolution")).toBe(true);
    expect(previewUsesCrop("segmentation")).toBe(true);
  });
});

describe("parameters from a result's provenance", () => {
  it("fill the form with what the kind's schema accepts, and nothing for params that do not fit", async () => {
    const { formFromParams, smallerScales, toParams } = await import("./params");
    const params = {
      tile: 256,
      tuning: { preset: "anime", overrides: { sharpen: 0.9 } },
      output: { format: "jpeg", quality: 70, size: { mode: "scale", scale: 2 }, color: "srgb" },
    };
    const form = formFromParams("super_resolution", params, DEFAULT_FORM);
    expect(form?.tile).toBe(256);
    expect(form?.output).toMatchObject({ format: "jpeg", quality: 70, color: "srgb" });
    // Round trip: the form gives back the same params.
    expect(toParams("super_resolution", form as typeof DEFAULT_FORM)).toMatchObject(params);
    expect(formFromParams("segmentation", { threshold: 0.3 }, DEFAULT_FORM)?.threshold).toBe(0.3);
    expect(formFromParams("segmentation", { threshold: 7 }, DEFAULT_FORM)).toBeNull();
    expect(smallerScales(4)).toEqual([3, 2, 1]);
    expect(smallerScales(1)).toEqual([]);
  });
});

describe("precision", () => {
  it("INT8 is sent for SR and segmentation and read back from a result; FP32 is left out", async () => {
    const { formFromParams, toParams } = await import("./params");
    const int8 = { ...DEFAULT_FORM, precision: "int8" as const };
    expect(toParams("super_resolution", int8)).toMatchObject({ precision: "int8" });
    expect(toParams("segmentation", int8)).toMatchObject({ precision: "int8" });
    expect(toParams("classification", int8)).not.toHaveProperty("precision");
    expect(toParams("super_resolution", DEFAULT_FORM)).not.toHaveProperty("precision");
    expect(toParams("segmentation", DEFAULT_FORM)).not.toHaveProperty("precision");
    for (const kind of ["super_resolution", "segmentation"] as const) {
      expect(formFromParams(kind, toParams(kind, int8), DEFAULT_FORM)?.precision).toBe("int8");
      expect(formFromParams(kind, toParams(kind, DEFAULT_FORM), int8)?.precision).toBe("fp32");
    }
  });
});
