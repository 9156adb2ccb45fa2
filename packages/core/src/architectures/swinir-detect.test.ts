import { describe, expect, it } from "vitest";
import { getArchitectureInfo, parameterCount, parseArchitectureId } from "./catalog";
import { detectArchitecture, type KeyShapes } from "./detect";
import { createArchitecture } from "./registry";

/** A state_dict's keys and shapes as the official code saves them for a configuration. */
function keysOf(id: string): Map<string, { shape: number[] }> {
  return new Map(getArchitectureInfo(id).parameters.map((p) => [p.name, { shape: p.shape }]));
}

// The official models' configurations (main_test_swinir.py), and edge cases of each upsampler.
const IDS = [
  "swinir-x2-e180-d6x6-h6x6-w8-mlp360-s64-pixelshuffle-nf64", // 001 classicalSR SwinIR-M x2
  "swinir-x4-e180-d6x6-h6x6-w8-mlp360-s48-pixelshuffle-nf64", // 001 classicalSR s48 x4
  "swinir-x3-e60-d6x4-h6x4-w8-mlp120-s64-pixelshuffledirect", // 002 lightweightSR SwinIR-S x3
  "swinir-x4-e240-d6x9-h8x9-w8-mlp480-s64-nearestconv-nf64-3conv", // 003 realSR SwinIR-L
  "swinir-x1-e180-d6x6-h6x6-w8-mlp360-s128-none-ch1", // 004 grayDN
  "swinir-x1-e180-d6x6-h6x6-w7-mlp360-s126-none-r255", // 006 colorCAR (JPEG)
  "swinir-x8-e16-d2.1-h2.4-w4-mlp24-s16-nearestconv-nf8",
  "swinir-x8-e16-d1x1-h2x1-w5-mlp16-pixelshuffle-nf8", // no shifted block: no img_size
  "swinir-x1-e16-d3x1-h2x1-w6-mlp16-s12-pixelshuffle-nf8",
];

describe("SwinIR detection from keys and shapes", () => {
  for (const id of IDS) {
    it(`${id}: the id round-trips and its keys are detected as it`, () => {
      expect(parseArchitectureId(id)?.family).toBe("swinir");
      const result = detectArchitecture(keysOf(id));
      if (!result.ok) throw new Error(result.message);
      // img_range is not in the weights: window 7 means the JPEG models' 255.
      expect(result.detected.id).toBe(id);
      expect(result.detected.family).toBe("swinir");
    });
  }

  it("counts the official SwinIR-M x2 parameters as PyTorch does (buffers excluded)", () => {
    const info = getArchitectureInfo(IDS[0] as string);
    // 001_classicalSR_DF2K_s64w8_SwinIR-M_x2.pth: 11,752,487 parameters (SwinIR paper: 11.75M).
    expect(parameterCount(info)).toBe(11_752_487);
    expect(info.defaultSpec.size).toMatchObject({ mode: "dynamic", multipleOf: 8 });
    expect(info.defaultSpec.receptiveField).toBe(32);
  });

  it("accepts files without the recomputed buffers (attn_mask, relative_position_index)", () => {
    const keys = keysOf(IDS[2] as string);
    for (const key of [...keys.keys()]) {
      if (/attn_mask|relative_position_index/.test(key)) keys.delete(key);
    }
    const result = detectArchitecture(keys);
    if (!result.ok) throw new Error(result.message);
    expect(result.detected.id).toBe(IDS[2]);
  });

  it("refuses what does not match, naming SwinIR and the key", () => {
    const extra = keysOf(IDS[0] as string);
    extra.set("conv_extra.weight", { shape: [3, 3, 3, 3] });
    const refused = detectArchitecture(extra);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.closest).toBe("swinir");
    expect(refused.message).toMatch(/^looks like SwinIR .*`conv_extra.weight` is not a known key/);

    const wrong: KeyShapes = new Map([
      ...keysOf(IDS[2] as string),
      ["layers.0.residual_group.blocks.0.attn.relative_position_bias_table", { shape: [50, 6] }],
    ]);
    const badWindow = detectArchitecture(wrong);
    expect(badWindow.ok).toBe(false);
    if (!badWindow.ok) expect(badWindow.message).toMatch(/not \(2 \* window_size - 1\)\^2/);

    const oddHeads = keysOf("swinir-x2-e12-d2x1-h3x1-w4-mlp24-s8-pixelshuffledirect");
    oddHeads.set("layers.0.residual_group.blocks.0.attn.relative_position_bias_table", {
      shape: [49, 5],
    });
    const heads = detectArchitecture(oddHeads);
    expect(heads.ok).toBe(false);
    if (!heads.ok) expect(heads.message).toMatch(/5 heads do not divide embed_dim 12/);
  });

  it("refuses ids out of range or not canonical", () => {
    for (const id of [
      "swinir-x2-e180-d6.6.6.6-h6x4-w8-mlp360-s64-pixelshuffle-nf64", // d6x4 is the spelling
      "swinir-x5-e16-d2x1-h2x1-w4-mlp32-s8-pixelshuffle-nf8", // no x5 pixel shuffle stages
      "swinir-x2-e16-d2x1-h2x1-w4-mlp32-s8-none", // no upsampler means x1
      "swinir-x2-e16-d2x1-h2x1-w32-mlp32-s64-pixelshuffledirect", // window above 16
      "swinir-x2-e16-d2x1-h2x1-w4-mlp32-s6-pixelshuffledirect", // img_size not whole windows
      "swinir-x2-e16-d2x1-h2x2-w4-mlp32-s8-pixelshuffledirect", // heads for 2 groups, 1 group
      "swinir-x2-e16-d2x1-h2x1-w4-mlp32-s8-pixelshuffledirect-ch2", // 1 or 3 channels
    ]) {
      expect([id, parseArchitectureId(id)]).toEqual([id, null]);
    }
  });

  it("builds a graph for a named id, whose img_range 255 variant differs", () => {
    const plain = createArchitecture(
      parseArchitectureId("swinir-x1-e8-d2x1-h2x1-w4-mlp16-s8-none") as never,
    );
    const jpeg = createArchitecture(
      parseArchitectureId("swinir-x1-e8-d2x1-h2x1-w4-mlp16-s8-none-r255") as never,
    );
    expect(plain.doc).toMatch(/img_range=1,/);
    expect(jpeg.doc).toMatch(/img_range=255,/);
    expect(plain.parameters).toEqual(jpeg.parameters);
  });
});
