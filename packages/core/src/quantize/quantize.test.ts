import { fixturePath, readFixture } from "@studio/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import { convertNcnnFiles } from "../ncnn/convert";
import { buildClassifierModel, buildSegmentationModel } from "../onnx/testing-models";
import { GraphBuilder, tensor } from "../onnx/write";
import { OCTA_SEGMENTATION_SPEC, REAL_ESRGAN_X4_SPEC, SegmentationSpec } from "../spec/index";
import { gateInt8Model } from "./build";
import { channelTails, percentileRange, scaledRange } from "./calibrate";
import { modelInput } from "./calibration-images";
import { readGraph } from "./graph";
import { buildInt8Model, INT8_GATE, type QuantizedModel, quantizeModel } from "./index";
import { cpuSession, maskAgreement, outputPsnr, runOnce } from "./measure";
import { hasVnni } from "./vnni";

const THREADS = 2;

function opCounts(bytes: Uint8Array): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of readGraph(bytes).nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return counts;
}

// Real-ESRGAN AnimeVideo v3 x4 (SRVGGNetCompact: 18 Conv, 17 PReLU), the official default.
describe("INT8 of Real-ESRGAN AnimeVideo v3 x4", () => {
  let fp32: Uint8Array;
  let quantized: QuantizedModel;
  beforeAll(async () => {
    const converted = await convertNcnnFiles(
      fixturePath("realesr-animevideov3-x4.param"),
      fixturePath("realesr-animevideov3-x4.bin"),
    );
    fp32 = converted.bytes;
    quantized = await quantizeModel({
      fp32,
      spec: REAL_ESRGAN_X4_SPEC,
      threads: THREADS,
      reduceRange: !hasVnni(),
    });
  }, 120_000);

  it("turns every conv into QLinearConv and every PReLU into an integer Max", () => {
    const ops = opCounts(quantized.bytes);
    expect(quantized).toMatchObject({ quantizedConvs: 18, totalConvs: 18, integerActivations: 17 });
    expect(ops.Conv).toBeUndefined();
    expect(ops.PRelu).toBeUndefined();
    // 18 convs + one depthwise 1x1 (the slopes) per PReLU.
    expect(ops.QLinearConv).toBe(18 + 17);
    expect(ops.Max).toBe(17);
    // Float only at the ends: the input quantised once, the last conv dequantised once.
    expect(ops.QuantizeLinear).toBe(1);
    expect(ops.DequantizeLinear).toBe(1);
  });

  it("keeps height and width dynamic", async () => {
    const g = readGraph(quantized.bytes);
    expect(g.inputs[0]?.shape?.slice(2).every((d) => typeof d !== "number")).toBe(true);
    const session = await cpuSession(quantized.bytes, THREADS);
    const img = await decodeImage(readFixture("chelsea.png"));
    const out = await runOnce(session, REAL_ESRGAN_X4_SPEC, {
      ...modelInput(img, REAL_ESRGAN_X4_SPEC, 37),
      dims: [1, 3, 37, 37],
    });
    expect(out.dims).toEqual([1, 3, 148, 148]);
    await session.release();
  });

  it("stays within 40 dB PSNR of FP32 on real images outside the calibration set", async () => {
    const a = await cpuSession(fp32, THREADS);
    const b = await cpuSession(quantized.bytes, THREADS);
    for (const name of ["rocket.jpg", "camera.png"]) {
      const x = modelInput(await decodeImage(readFixture(name)), REAL_ESRGAN_X4_SPEC, 128);
      const psnr = outputPsnr(
        (await runOnce(a, REAL_ESRGAN_X4_SPEC, x)).data,
        (await runOnce(b, REAL_ESRGAN_X4_SPEC, x)).data,
        1,
      );
      expect(psnr, name).toBeGreaterThanOrEqual(INT8_GATE.minPsnrDb);
    }
    await a.release();
    await b.release();
  }, 60_000);

  it("passes the quality gate and reports the figures", async () => {
    const report = await gateInt8Model(
      { fp32, spec: REAL_ESRGAN_X4_SPEC, threads: THREADS },
      quantized,
    );
    expect(report.psnrDb).toBeGreaterThanOrEqual(INT8_GATE.minPsnrDb);
    // Speed is the machine's: only its shape is asserted here (the bench prints the figures).
    expect(report.speedup).toBeGreaterThan(0);
    expect(report.fp32Ms).toBeGreaterThan(0);
    expect(report.int8Ms).toBeGreaterThan(0);
    expect(["offered", "not_faster"]).toContain(report.state);
    expect(report.state === "offered").toBe((report.speedup as number) >= INT8_GATE.minSpeedup);
    expect(report.reason).toContain(`${(report.psnrDb as number).toFixed(1)} dB`);
    expect(report).toMatchObject({ quantizedConvs: 18, totalConvs: 18, vnni: hasVnni() });
    expect(Number.isNaN(Date.parse(report.measuredAt))).toBe(false);
  }, 60_000);
});

describe("INT8 of a segmentation U-Net", () => {
  it("measures mask agreement and offers INT8 only above the gate", async () => {
    const fp32 = buildSegmentationModel({ seed: 7 }).bytes;
    const spec = OCTA_SEGMENTATION_SPEC;
    const result = await buildInt8Model({ fp32, spec, taskKind: "segmentation", threads: THREADS });
    const { report } = result;
    expect(report.maskAgreement).toBeGreaterThan(0);
    expect(report.totalConvs).toBe(4);
    expect(report.quantizedConvs).toBe(4);
    if ((report.maskAgreement as number) < INT8_GATE.minMaskAgreement) {
      expect(report.state).toBe("refused");
      expect(result.bytes).toBeUndefined();
    } else {
      expect(["offered", "not_faster"]).toContain(report.state);
    }
    expect(report.reason).toContain(`${((report.maskAgreement as number) * 100).toFixed(2)}%`);
  }, 60_000);

  it("agrees with itself exactly when the outputs are equal", () => {
    const out = { data: Float32Array.of(-1, 2, 0.1, -0.2), dims: [1, 1, 2, 2] };
    const spec = SegmentationSpec.parse({ kind: "segmentation" });
    expect(maskAgreement(out, out, spec)).toBe(1);
    const flipped = { ...out, data: Float32Array.of(1, 2, 0.1, -0.2) };
    expect(maskAgreement(out, flipped, spec)).toBe(0.75);
  });
});

describe("INT8 on graphs it cannot take", () => {
  it("reports the operators it does not handle instead of throwing", async () => {
    const fp32 = buildClassifierModel({ size: "dynamic" }).bytes;
    const spec = SegmentationSpec.parse({ kind: "segmentation" });
    const result = await buildInt8Model({ fp32, spec, taskKind: "segmentation", threads: 1 });
    expect(result.bytes).toBeUndefined();
    expect(result.report.state).toBe("unsupported");
    expect(result.report.reason).toMatch(/GlobalAveragePool/);
  });

  it("reports a graph without convolutions as having nothing to quantise", async () => {
    const g = new GraphBuilder("plain");
    const x = g.input("input", "float32", [1, 3, "H", "W"]);
    g.node("Mul", [x, g.constant(tensor.scalar(2))], undefined, { outputs: ["output"] });
    g.output("output", "float32", [1, 3, "H", "W"]);
    const spec = { ...REAL_ESRGAN_X4_SPEC, scale: 1 };
    const { report } = await buildInt8Model({
      fp32: g.toModel(),
      spec,
      taskKind: "super_resolution",
      threads: 1,
    });
    expect(report).toMatchObject({ state: "unsupported" });
    expect(report.reason).toMatch(/no Conv/);
  });

  it("reports bytes that are not ONNX and a spec of another task", async () => {
    const junk = await buildInt8Model({
      fp32: new Uint8Array([1, 2, 3, 4]),
      spec: REAL_ESRGAN_X4_SPEC,
      taskKind: "super_resolution",
      threads: 1,
    });
    expect(junk.report.state).toBe("unsupported");
    const mismatch = await buildInt8Model({
      fp32: new Uint8Array([1]),
      spec: OCTA_SEGMENTATION_SPEC,
      taskKind: "super_resolution",
      threads: 1,
    });
    expect(mismatch.report.reason).toMatch(/segmentation/);
  });
});

describe("calibration statistics", () => {
  it("cuts the same tails as a sort", () => {
    const v = Float32Array.from(
      { length: 300_000 },
      (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1,
    );
    const sorted = Float32Array.from(v).sort();
    const k = Math.floor(v.length * 1e-5);
    expect(percentileRange(v)).toEqual({ lo: sorted[k], hi: sorted[v.length - 1 - k] });
    expect(percentileRange(Float32Array.of(3, 1, 2))).toEqual({ lo: 1, hi: 3 });
  });

  it("finds the range of channel-scaled values from the channel tails", () => {
    const plane = 100_000;
    const v = Float32Array.from(
      { length: 2 * plane },
      (_, i) => Math.sin(i * 7.1) * (i < plane ? 1 : 3),
    );
    const scale = Float32Array.of(2.5, 0.5);
    const scaled = v.map((x, i) => x * (scale[i < plane ? 0 : 1] as number));
    const expected = percentileRange(scaled);
    const found = scaledRange([channelTails(v, 2)], scale);
    expect(found.lo).toBeCloseTo(expected.lo, 5);
    expect(found.hi).toBeCloseTo(expected.hi, 5);
  });

  it("reads VNNI from the kernel's CPU flags", () => {
    expect(hasVnni("flags\t\t: fpu avx2 avx512f avx512_vnni\n")).toBe(true);
    expect(hasVnni("flags\t\t: fpu avx_vnni sse\n")).toBe(true);
    expect(hasVnni("flags\t\t: fpu avx2 avx512f\n")).toBe(false);
  });
});
