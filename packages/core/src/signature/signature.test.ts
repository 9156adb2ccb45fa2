import { describe, expect, it } from "vitest";
import { canonicalJson, PIPELINE_VERSION, parameterSignature } from "./index";

const sha = "a".repeat(64);

describe("parameterSignature", () => {
  it("is stable under key order and explicit defaults", () => {
    const a = parameterSignature({ kind: "super_resolution", params: {}, weightSha256: sha });
    const b = parameterSignature({
      kind: "super_resolution",
      params: { tuning: { overrides: {}, preset: "gentle" }, overlap: "auto", tile: 192 },
      weightSha256: sha.toUpperCase(),
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with params, weight and pipeline version", () => {
    const base = { kind: "segmentation" as const, params: { threshold: 0.5 }, weightSha256: sha };
    const s = parameterSignature(base);
    expect(parameterSignature({ ...base, params: { threshold: 0.6 } })).not.toBe(s);
    expect(parameterSignature({ ...base, weightSha256: "b".repeat(64) })).not.toBe(s);
    expect(parameterSignature({ ...base, pipelineVersion: `${PIPELINE_VERSION}x` })).not.toBe(s);
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
