import { readFixture } from "@studio/fixtures";
import { describe, expect, it } from "vitest";
import { importWeights } from "../importers/import-weights";
import {
  architectureId,
  getArchitectureInfo,
  isArchitectureId,
  parseArchitectureId,
  rrdbInfo,
  spanInfo,
  unetInfo,
} from "./catalog";
import { detectArchitecture, type KeyShapes } from "./detect";
import type { ArchitectureInfo } from "./types";

/** The keys and shapes an architecture expects, as a file holding exactly those would have. */
const keysOf = (info: ArchitectureInfo): Map<string, { shape: number[] }> =>
  new Map(info.parameters.map((p) => [p.name, { shape: p.shape }]));

const detect = (tensors: KeyShapes) => detectArchitecture(tensors);

describe("architecture detection from keys and shapes", () => {
  it("reads the published configurations back from their keys", () => {
    for (const [id, expected] of [
      ["realesrgan-x4plus", "rrdbnet-x4-nf64-nb23-gc32"],
      ["realesrgan-x4plus-anime-6b", "rrdbnet-x4-nf64-nb6-gc32"],
      ["realesr-general-x4v3", "srvgg-x4-nf64-nc32"],
      ["realesr-animevideov3", "srvgg-x4-nf64-nc16"],
      ["octa-unet", "unet-d4-b64-in1-out1"],
    ] as const) {
      const result = detect(keysOf(getArchitectureInfo(id)));
      expect(result.ok && result.detected.id).toBe(expected);
      expect(result.ok && result.detected.parameterCount).toBe(
        getArchitectureInfo(expected)
          .parameters.filter((p) => p.required)
          .reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
      );
    }
  });

  it("finds U-Nets of other depths, widths and channel counts", () => {
    const info = unetInfo({ id: "x", depth: 3, base: 4, inChannels: 3, outChannels: 2 });
    const result = detect(keysOf(info));
    expect(result.ok && result.detected.id).toBe("unet-d3-b4-in3-out2");
    expect(result.ok && result.detected.hyperparameters).toMatchObject({
      depth: 3,
      base: 4,
      inChannels: 3,
      outChannels: 2,
    });
  });

  it("tells a 1-channel x2 RRDBNet with pixel-unshuffle from its conv_first", () => {
    const info = rrdbInfo({
      id: "x",
      name: "x",
      scale: 2,
      inChannels: 1,
      outChannels: 1,
      numBlock: 2,
    });
    expect(info.parameters[0]?.shape).toEqual([64, 4, 3, 3]);
    const result = detect(keysOf(info));
    expect(result.ok && result.detected.id).toBe("rrdbnet-x2-nf64-nb2-gc32-in1-out1");
    expect(result.ok && result.detected.hyperparameters.pixelUnshuffle).toBe(2);
    expect(
      result.ok &&
        result.detected.config.family === "rrdb" &&
        getArchitectureInfo(result.detected.id).defaultSpec,
    ).toMatchObject({
      scale: 2,
      colorOrder: "gray",
      size: { mode: "dynamic", multipleOf: 2 },
    });
  });

  it("refuses an unknown key, naming the closest family and the key", () => {
    const tensors = keysOf(rrdbInfo({ id: "x", name: "x", numBlock: 1, numFeat: 8, numGrowCh: 4 }));
    tensors.set("conv_extra.weight", { shape: [8, 8, 3, 3] });
    const result = detect(tensors);
    expect(result).toMatchObject({
      ok: false,
      closest: "rrdb",
      message:
        "looks like RRDBNet (ESRGAN / Real-ESRGAN), but `conv_extra.weight` is not a known key",
    });
  });

  it("refuses a scale no upsampling count makes, and a wrong shape, saying which", () => {
    const tensors = keysOf(rrdbInfo({ id: "x", name: "x", numBlock: 1, numFeat: 8, numGrowCh: 4 }));
    tensors.set("conv_up3.weight", { shape: [8, 8, 3, 3] });
    tensors.set("conv_up4.weight", { shape: [8, 8, 3, 3] });
    const scale = detect(tensors);
    expect(!scale.ok && scale.message).toMatch(/^looks like RRDBNet.*4 upsampling\(s\).*scale 16/);

    const srvgg = keysOf(getArchitectureInfo("realesr-animevideov3"));
    srvgg.set("body.10.weight", { shape: [64, 32, 3, 3] });
    const shape = detect(srvgg);
    expect(!shape.ok && shape.message).toBe(
      "looks like SRVGGNetCompact (Real-ESRGAN compact), but `body.10.weight` has shape [64, 32, 3, 3] where [64, 64, 3, 3] was expected",
    );
  });

  it("refuses keys of no known family", () => {
    const result = detect(new Map([["fc.weight", { shape: [10, 512] }]]));
    expect(result).toMatchObject({ ok: false, closest: null });
    expect(!result.ok && result.message).toMatch(
      /^no known architecture .* uses keys like `fc.weight`/,
    );
  });

  it("finds U-Nets without BatchNorm (Conv, ReLU, Conv, ReLU blocks)", () => {
    const info = unetInfo({ id: "x", depth: 2, base: 8, batchNorm: false });
    expect(info.parameters.map((p) => p.name).slice(0, 4)).toEqual([
      "enc1.0.weight",
      "enc1.0.bias",
      "enc1.2.weight",
      "enc1.2.bias",
    ]);
    const result = detect(keysOf(info));
    expect(result.ok && result.detected.id).toBe("unet-d2-b8-in1-out1-nobn");
    expect(result.ok && result.detected.hyperparameters.batchNorm).toBe("no");
    // A BatchNorm U-Net missing one BatchNorm is not taken for the plain layout.
    const broken = keysOf(unetInfo({ id: "x", depth: 2, base: 8 }));
    broken.delete("dec1.4.running_var");
    const refused = detect(broken);
    expect(!refused.ok && refused.message).toBe(
      "looks like U-Net (OCTA segmentation layout), but `dec1.4.running_var` is missing",
    );
  });

  it("reads SPAN's size, scale, channels and normalisation as spandrel does", () => {
    // The published 4x-spanx4_ch48: 48 features, x4, RGB, normalised input.
    const published = detect(keysOf(spanInfo({ id: "x", name: "x", numFeat: 48, upscale: 4 })));
    expect(published.ok && published.detected).toMatchObject({
      id: "span-x4-nf48",
      family: "span",
      hyperparameters: { scale: 4, inChannels: 3, outChannels: 3, featureChannels: 48 },
    });
    expect(published.ok && published.detected.notes.join(" ")).toMatch(/img_range 255/);
    const gray = spanInfo({
      id: "x",
      name: "x",
      numFeat: 32,
      upscale: 2,
      inChannels: 1,
      outChannels: 1,
      norm: false,
    });
    expect(gray.parameters[0]).toEqual({
      name: "no_norm",
      shape: [1],
      required: true,
      counted: false,
    });
    const result = detect(keysOf(gray));
    expect(result.ok && result.detected.id).toBe("span-x2-nf32-in1-out1-nonorm");
    // no_norm is a flag, not a parameter.
    expect(result.ok && result.detected.parameterCount).toBe(
      gray.parameters
        .filter((p) => p.name !== "no_norm")
        .reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
    );
  });

  it("refuses a SPAN that PyTorch could not run, and an unknown SPAN key", () => {
    const gray = keysOf(
      spanInfo({ id: "x", name: "x", numFeat: 8, inChannels: 1, outChannels: 1, norm: false }),
    );
    gray.delete("no_norm");
    const normalised = detect(gray);
    expect(!normalised.ok && normalised.message).toMatch(
      /^looks like SPAN .*3-channel RGB mean but takes 1 channel/,
    );
    const extra = keysOf(spanInfo({ id: "x", name: "x", numFeat: 8 }));
    extra.set("block_7.c1_r.sk.weight", { shape: [8, 8, 1, 1] });
    const unknown = detect(extra);
    expect(unknown).toMatchObject({ ok: false, closest: "span" });
    expect(!unknown.ok && unknown.message).toBe(
      "looks like SPAN (Swift Parameter-free Attention Network), but `block_7.c1_r.sk.weight` is not a known key",
    );
  });

  it("assumes ReLU when an SRVGGNetCompact has no PReLU slopes, and says so", () => {
    const info = getArchitectureInfo("srvgg-x2-nf16-nc4-relu");
    const result = detect(keysOf(info));
    expect(result.ok && result.detected.id).toBe("srvgg-x2-nf16-nc4-relu");
    expect(result.ok && result.detected.notes.join(" ")).toMatch(/cannot tell.*ReLU was assumed/);
  });
});

describe("generated architecture ids", () => {
  it("round-trip, and only the canonical spelling is an id", () => {
    for (const id of [
      "rrdbnet-x1-nf8-nb1-gc4",
      "rrdbnet-x8-nf64-nb23-gc32",
      "rrdbnet-x2-nf64-nb23-gc32-esrgan",
      "rrdbnet-x2-nf32-nb4-gc16-up1",
      "srvgg-x3-nf24-nc8-ch1-lrelu",
      "unet-d5-b16-in3-out4",
      "unet-d3-b8-in1-out1-nobn",
      "span-x4-nf48",
      "span-x2-nf32-in1-out1-nonorm",
      "span-x1-nf16-out1-nonorm",
    ]) {
      const entry = parseArchitectureId(id);
      expect(entry && architectureId(entry)).toBe(id);
      expect(isArchitectureId(id)).toBe(true);
    }
    expect(parseArchitectureId("rrdbnet-x4-nf64-nb23-gc32-in3")).toBeNull();
    expect(parseArchitectureId("rrdbnet-x3-nf64-nb23-gc32")).toBeNull();
    expect(parseArchitectureId("rrdbnet-x4-nf64-nb100000-gc32")).toBeNull();
    expect(parseArchitectureId("span-x4-nf48-in3")).toBeNull();
    // Normalisation subtracts an RGB mean: a 1-channel SPAN exists only without it.
    expect(parseArchitectureId("span-x4-nf48-in1-out1")).toBeNull();
    expect(parseArchitectureId("span-x16-nf48")).toBeNull();
    expect(isArchitectureId("resnet50")).toBe(false);
  });
});

describe("importWeights with detection", () => {
  it("a named family is detected within that family; a different family is refused", async () => {
    const bytes = readFixture("torch-ref-srvgg-x4-prelu.pth");
    const within = await importWeights({ bytes, fileName: "m.pth", architecture: "srvgg" });
    expect(within.report.verdict).toBe("accepted");
    expect(within.report.architecture).toBe("srvgg-x4-nf8-nc2");
    const other = await importWeights({ bytes, fileName: "m.pth", architecture: "rrdb" });
    expect(other.onnx).toBeNull();
    expect(other.report.summary).toMatch(/^rejected for rrdb: no known architecture \(RRDBNet/);
  });

  it("a named id is the check, and the report still shows what was detected", async () => {
    const bytes = readFixture("torch-ref-rrdb-x2.pth");
    const wrong = await importWeights({
      bytes,
      fileName: "m.pth",
      architecture: "rrdbnet-x4-nf12-nb1-gc2",
    });
    expect(wrong.report.verdict).toBe("rejected");
    expect(wrong.report.problems[0]).toMatch(
      /conv_first.weight'.*expected \[12, 3, 3, 3\].*\[12, 12, 3, 3\]/,
    );
    expect(wrong.report.detected?.id).toBe("rrdbnet-x2-nf12-nb1-gc2");
    const right = await importWeights({
      bytes,
      fileName: "m.pth",
      architecture: "rrdbnet-x2-nf12-nb1-gc2",
    });
    expect(right.report.verdict).toBe("accepted");
    expect(right.report.detected?.hyperparameters).toMatchObject({
      scale: 2,
      numFeat: 12,
      numBlock: 1,
      numGrowCh: 2,
      pixelUnshuffle: 2,
    });
  });
});
