import { OCTA_SEGMENTATION_SPEC } from "@studio/core/spec";
import { describe, expect, it } from "vitest";
import { validateParams } from "./tasks";

describe("validateParams", () => {
  const ppocrLike = JSON.stringify({ kind: "segmentation", defaultThreshold: 0.3 });

  it("takes a segmentation weight's own default threshold when the caller gives none", () => {
    expect(validateParams("segmentation", {}, ppocrLike).threshold).toBe(0.3);
    expect(validateParams("segmentation", undefined, ppocrLike).threshold).toBe(0.3);
    expect(
      validateParams("segmentation", {}, JSON.stringify(OCTA_SEGMENTATION_SPEC)).threshold,
    ).toBe(0.5);
  });

  it("keeps a threshold the caller chose, and the schema default without a spec", () => {
    expect(validateParams("segmentation", { threshold: 0.7 }, ppocrLike).threshold).toBe(0.7);
    expect(validateParams("segmentation", {}, null).threshold).toBe(0.5);
    expect(validateParams("segmentation", {}, "not json").threshold).toBe(0.5);
  });

  it("refuses parameters outside the schema with the field named", () => {
    expect(() => validateParams("segmentation", { threshold: 2 }, ppocrLike)).toThrow(/threshold/);
  });
});
