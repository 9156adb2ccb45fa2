import { readFixture } from "@studio/fixtures";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import { buildTinySrModel } from "../onnx/testing-models";
import { GraphBuilder } from "../onnx/write";
import { BYTE_OUTPUT } from "../runtime/runner";
import { ModelSpec, OCTA_SEGMENTATION_SPEC, type SuperResolutionSpec } from "../spec/index";
import { imageToTensor, tensorToPixels } from "../tensor/index";
import { cropImage } from "./alpha";
import { byteOutputAgrees, withByteOutput } from "./byte-output";
import { runSuperResolution, takeByteRect } from "./super-resolution";
import { CountingRunner, prepareFromBytes } from "./testing";

const srSpec = (extra: Record<string, unknown> = {}) =>
  ModelSpec.parse({ kind: "super_resolution", scale: 2, receptiveField: 7, ...extra });

describe("the graph's 8-bit output", () => {
  it("is added to colour super-resolution graphs with a 4-D float output only, and to none too old for QuantizeLinear", () => {
    const tiny = buildTinySrModel({ scale: 2, layers: 3, seed: 3 });
    expect(withByteOutput(tiny.bytes, srSpec())).not.toBe(tiny.bytes);
    for (const spec of [
      srSpec({ colorOrder: "bgr" }),
      srSpec({ colorOrder: "gray" }),
      ModelSpec.parse(OCTA_SEGMENTATION_SPEC),
    ]) {
      expect(withByteOutput(tiny.bytes, spec)).toBe(tiny.bytes);
    }
    const old = new GraphBuilder("old");
    old.output(old.node("Relu", [old.input("x", "float32", [1, 3, 2, 2])]), "float32");
    const opset9 = old.toModel({ opsetImports: [{ domain: "", version: 9 }] });
    expect(withByteOutput(opset9, srSpec())).toBe(opset9);
    // Outputs that are not a declared 4-D float32 keep their floats.
    for (const [dtype, shape] of [
      ["float16", [1, 3, 2, 2]],
      ["float32", [3, 2, 2]],
      ["float32", undefined],
    ] as const) {
      const g = new GraphBuilder("other");
      const x = g.input("x", dtype, [1, 3, 2, 2]);
      g.output(g.node("Identity", [x]), dtype, shape);
      const other = g.toModel();
      expect(withByteOutput(other, srSpec())).toBe(other);
    }
    const declared = new GraphBuilder("declared");
    const y = declared.node("Identity", [declared.input("x", "float32", [1, 3, 2, 2])]);
    declared.output(y, "float32", [1, 3, 2, 2]);
    const ok = declared.toModel();
    expect(withByteOutput(ok, srSpec())).not.toBe(ok);
  });

  it("onnxruntime's quantisation agrees with ours at every rounding edge (x64 kernels)", async () => {
    if (process.arch !== "x64") return;
    expect(await byteOutputAgrees()).toBe(true);
  });

  it("equals the float output quantised in JavaScript, bit for bit, for both output ranges", async () => {
    const tiny = buildTinySrModel({ scale: 2, layers: 3, hidden: 8, seed: 11 });
    const photo = cropImage(await decodeImage(readFixture("chelsea.png")), {
      x: 100,
      y: 60,
      width: 96,
      height: 80,
    });
    for (const outputRange of ["0-1", "0-255"] as const) {
      const spec = { kind: "super_resolution", scale: 2, receptiveField: 7, outputRange } as const;
      const model = await prepareFromBytes<SuperResolutionSpec>(tiny.bytes, spec);
      expect(model.runner.outputNames).toContain(BYTE_OUTPUT);
      const { runBytes } = model.runner;
      if (!runBytes) throw new Error("the session has no 8-bit output");
      const [width, height] = [photo.width * 2, photo.height * 2];
      const dims = [1, 3, photo.height, photo.width];
      const quantisedFloats = async (input: Float32Array) =>
        tensorToPixels(
          (await model.runner.run(input, dims)).data,
          width,
          height,
          "rgb",
          outputRange,
          {
            width,
            height,
            channels: 3,
            depth: 8,
            data: new Uint8Array(width * height * 3),
          },
        ).data;
      const photoInput = imageToTensor(photo, "rgb", model.spec.normalization);
      // The photo stretched past the output range at both ends: saturation is compared too.
      const top = outputRange === "0-255" ? 255 : 1;
      const stretched = photoInput.map((v) => (v * 2 - 0.5) * top);
      const bytes = await runBytes(stretched, dims);
      expect(bytes.dims).toEqual([1, height, width, 3]);
      const expected = await quantisedFloats(stretched);
      expect(Buffer.from(bytes.data).equals(Buffer.from(expected))).toBe(true);
      expect(expected.includes(0) && expected.includes(255)).toBe(true);

      // A task's one tile takes the bytes, blended tiles the floats.
      const counting = new CountingRunner(model.runner);
      const run = (tile: number | "off", overlap: number | "auto") =>
        runSuperResolution({
          model: { ...model, runner: counting },
          input: photo,
          params: { tile, overlap, tuning: { preset: "raw" } },
          encode: false,
        });
      const byPhoto = await quantisedFloats(photoInput);
      const whole = await run("off", "auto");
      expect(counting.byteCalls).toBe((await byteOutputAgrees()) ? 1 : 0);
      expect(Buffer.from(whole.image.data).equals(Buffer.from(byPhoto))).toBe(true);
      const tiled = await run(40, 16);
      expect(tiled.tiling.tileCount).toBeGreaterThan(1);
      expect(counting.byteCalls).toBe((await byteOutputAgrees()) ? 1 : 0);
    }
  });

  it("takes a whole-image rect as the image's pixels and copies others, or a 4-channel output's, pixel by pixel", () => {
    const dest = { width: 2, height: 2, channels: 3, depth: 8, data: new Uint8Array(12) } as const;
    const whole = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
    const rows = { data: whole, offset: 0, rowStride: 6, pixelStride: 3, planeStride: 1 };
    const all = { x: 0, y: 0, width: 2, height: 2 };
    expect(takeByteRect(rows, all, dest).data).toBe(whole);
    // The 2x2 block at (1, 1) of a 3x3 output, then a 1x2 column of it into the right column.
    const out3 = Uint8Array.from({ length: 27 }, (_, i) => i);
    const block = { data: out3, offset: (3 + 1) * 3, rowStride: 9, pixelStride: 3, planeStride: 1 };
    const cut = takeByteRect(block, all, { ...dest, data: new Uint8Array(12) });
    expect([...cut.data]).toEqual([12, 13, 14, 15, 16, 17, 21, 22, 23, 24, 25, 26]);
    const column = takeByteRect(
      block,
      { x: 1, y: 0, width: 1, height: 2 },
      { ...dest, data: new Uint8Array(12) },
    );
    expect([...column.data]).toEqual([0, 0, 0, 12, 13, 14, 0, 0, 0, 21, 22, 23]);
    // A model with a fourth channel: its first three are the pixel.
    const rgba = Uint8Array.from({ length: 16 }, (_, i) => i);
    const four = takeByteRect(
      { data: rgba, offset: 0, rowStride: 8, pixelStride: 4, planeStride: 1 },
      all,
      { ...dest, data: new Uint8Array(12) },
    );
    expect([...four.data]).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14]);
  });
});
