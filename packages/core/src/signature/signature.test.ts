import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GPU_8GB_TILE, parseParams } from "../spec/index";
import { canonicalJson, PIPELINE_VERSION, parameterSignature } from "./index";

const sha = "a".repeat(64);

describe("parameterSignature", () => {
  it("is stable under key order and explicit defaults", () => {
    const a = parameterSignature({ kind: "super_resolution", params: {}, weightSha256: sha });
    const b = parameterSignature({
      kind: "super_resolution",
      params: { tuning: { overrides: {}, preset: "gentle" }, overlap: "auto", tile: "auto" },
      weightSha256: sha.toUpperCase(),
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("signs tile auto as the user's choice, not the machine's memory or the tiles chosen", () => {
    // The budget auto sizes tiles from is measured at run time and left out of the params, so
    // the same choice signs the same on every machine; an explicit budget is a different choice.
    const auto = parameterSignature({ kind: "super_resolution", params: {}, weightSha256: sha });
    const parsed = parseParams("super_resolution", {});
    expect(parsed.tile).toBe("auto");
    expect(parsed.tileBudgetMB).toBeUndefined();
    const budget = { tile: "auto", tileBudgetMB: 512 };
    const withBudget = parameterSignature({
      kind: "super_resolution",
      params: budget,
      weightSha256: sha,
    });
    expect(withBudget).not.toBe(auto);
    const seedTile = { kind: "super_resolution" as const, weightSha256: sha };
    expect(parameterSignature({ ...seedTile, params: { tile: GPU_8GB_TILE } })).not.toBe(auto);
  });

  it("changes with params, weight and pipeline version", () => {
    const base = { kind: "segmentation" as const, params: { threshold: 0.5 }, weightSha256: sha };
    const s = parameterSignature(base);
    expect(parameterSignature({ ...base, params: { threshold: 0.6 } })).not.toBe(s);
    expect(parameterSignature({ ...base, weightSha256: "b".repeat(64) })).not.toBe(s);
    expect(parameterSignature({ ...base, pipelineVersion: `${PIPELINE_VERSION}x` })).not.toBe(s);
  });

  it("covers the output settings only where they change the pixels", () => {
    const sign = (output: unknown) =>
      parameterSignature({ kind: "super_resolution", params: { output }, weightSha256: sha });
    const png = sign(undefined);
    // The defaults add nothing: tasks signed before output settings existed still match.
    expect(sign({ format: "png", size: { mode: "model" }, color: "keep", quality: 50 })).toBe(png);
    // Lossless containers hold the same pixels; WebP lossless is 8-bit only, so it is named.
    expect(sign({ format: "tiff" })).toBe(png);
    expect(sign({ format: "webp_lossless" })).not.toBe(png);
    // A lossy format by codec and quality; the background only where alpha is dropped.
    expect(sign({ format: "jpeg", quality: 80 })).not.toBe(sign({ format: "jpeg", quality: 90 }));
    expect(sign({ format: "jpeg" })).not.toBe(sign({ format: "webp" }));
    expect(sign({ format: "jpeg", background: "#000000" })).not.toBe(sign({ format: "jpeg" }));
    expect(sign({ format: "webp", background: "#000000" })).toBe(sign({ format: "webp" }));
    expect(sign({ size: { mode: "scale", scale: 2 } })).not.toBe(png);
    expect(sign({ color: "srgb" })).not.toBe(png);
    // Scoring against the downscaled input measures the result without changing it.
    const scored = parameterSignature({
      kind: "super_resolution",
      params: { compareDownscaled: true },
      weightSha256: sha,
    });
    expect(scored).toBe(png);
  });

  it("signs precision int8 and leaves the default fp32 out", () => {
    for (const kind of ["super_resolution", "segmentation"] as const) {
      const sign = (params: unknown) => parameterSignature({ kind, params, weightSha256: sha });
      expect(parseParams(kind, {}).precision).toBe("fp32");
      // Explicit fp32 signs like the params of tasks made before precision existed.
      expect(sign({ precision: "fp32" })).toBe(sign({}));
      expect(sign({ precision: "int8" })).not.toBe(sign({}));
    }
    // The signature of the default params is the one stored before precision existed.
    const before = canonicalJson({
      kind: "segmentation",
      params: {
        outputs: {
          mask: true,
          overlay: true,
          overlayColor: [255, 0, 0],
          overlayOpacity: 0.5,
          probability: true,
          probabilityBitDepth: 16,
        },
        overlap: "auto",
        threshold: 0.5,
        tile: 512,
      },
      pipeline: PIPELINE_VERSION,
      weight: sha,
    });
    const expected = createHash("sha256").update(before).digest("hex");
    expect(parameterSignature({ kind: "segmentation", params: {}, weightSha256: sha })).toBe(
      expected,
    );
    expect(() => parseParams("segmentation", { precision: "int4" })).toThrow();
  });

  it("rejects invalid params", () => {
    expect(() =>
      parameterSignature({ kind: "classification", params: { topK: 0 }, weightSha256: sha }),
    ).toThrow();
  });

  it("canonicalises nested objects", () => {
    expect(canonicalJson({ b: [1, { d: 1, c: undefined, a: "x" }], a: null })).toBe(
      '{"a":null,"b":[1,{"a":"x","d":1}]}',
    );
  });
});
