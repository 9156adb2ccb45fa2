import { describe, expect, it } from "vitest";
import {
  ARCHITECTURE_FAMILIES,
  ARCHITECTURE_FAMILY_DOCS,
  getArchitectureInfo,
  parseArchitectureId,
} from "./catalog";
import { detectArchitecture } from "./detect";

/** Derived values detection reports besides the hyperparameters (documented in the summary). */
const DERIVED = new Set(["upsamplings", "pixelUnshuffle", "inputSize"]);

describe("the documented families", () => {
  it("cover every family detection knows, with examples that are ids of that family", () => {
    expect(ARCHITECTURE_FAMILY_DOCS.map((d) => d.family).sort()).toEqual(
      Object.keys(ARCHITECTURE_FAMILIES).sort(),
    );
    for (const doc of ARCHITECTURE_FAMILY_DOCS) {
      expect(doc.name).toBe(ARCHITECTURE_FAMILIES[doc.family]);
      for (const id of doc.examples) {
        const info = getArchitectureInfo(id);
        expect(info.family).toBe(doc.family);
        expect(info.taskKind).toBe(doc.taskKind);
      }
    }
  });

  it("document every hyperparameter that detection reports", () => {
    for (const doc of ARCHITECTURE_FAMILY_DOCS) {
      const documented = new Set(doc.hyperparameters.map((h) => h.key));
      for (const id of doc.examples) {
        const info = getArchitectureInfo(id);
        const result = detectArchitecture(
          new Map(info.parameters.map((p) => [p.name, { shape: p.shape }])),
        );
        if (!result.ok) throw new Error(result.message);
        for (const key of Object.keys(result.detected.hyperparameters)) {
          if (!DERIVED.has(key))
            expect([doc.family, documented.has(key) && key]).toEqual([doc.family, key]);
        }
      }
    }
  });

  it("state the ranges that ids are held to", () => {
    const range = (family: string, key: string) =>
      ARCHITECTURE_FAMILY_DOCS.find((d) => d.family === family)?.hyperparameters.find(
        (h) => h.key === key,
      )?.range;
    const spanScale = range("span", "scale")?.max as number;
    expect(parseArchitectureId(`span-x${spanScale}-nf8`)).not.toBeNull();
    expect(parseArchitectureId(`span-x${spanScale + 1}-nf8`)).toBeNull();
    const depth = range("unet", "depth")?.max as number;
    expect(parseArchitectureId(`unet-d${depth}-b4-in1-out1-nobn`)).not.toBeNull();
    expect(parseArchitectureId(`unet-d${depth + 1}-b4-in1-out1-nobn`)).toBeNull();
    const blocks = range("rrdb", "numBlock")?.max as number;
    expect(parseArchitectureId(`rrdbnet-x4-nf8-nb${blocks}-gc4`)).not.toBeNull();
    expect(parseArchitectureId(`rrdbnet-x4-nf8-nb${blocks + 1}-gc4`)).toBeNull();
    const convs = range("srvgg", "numConv")?.max as number;
    expect(parseArchitectureId(`srvgg-x4-nf8-nc${convs}`)).not.toBeNull();
    expect(parseArchitectureId(`srvgg-x4-nf8-nc${convs + 1}`)).toBeNull();
  });
});
