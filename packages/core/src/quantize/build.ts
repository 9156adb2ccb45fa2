// The INT8 gate: quantise, then offer the INT8 model only if it keeps quality against FP32 on
// the calibration images and is measurably faster on this CPU.
import { OnnxInspectError } from "../onnx/inspect";
import type { ModelSpec } from "../spec/index";
import type { CalibrationInput } from "./calibrate";
import { loadCalibrationImages, modelInput } from "./calibration-images";
import { QuantizeUnsupportedError } from "./graph";
import { bestTimes, cpuSession, maskAgreement, outputPsnr, runOnce } from "./measure";
import { type QuantizedModel, quantizeModel } from "./quantize-model";
import { INT8_GATE, type Int8Report } from "./report";
import { hasVnni } from "./vnni";

/** Side of the square input the speed is measured on (dynamic-size models). */
export const SPEED_SIDE = 256;
const SPEED_ROUNDS = 2;

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/**
 * Quantises an FP32 ONNX conv net (super_resolution or segmentation) to INT8 (QLinearConv),
 * calibrated on the product's own sample images prepared exactly as the pipeline prepares inputs
 * for this spec, then runs the quality/speed gate. Never throws for a model it cannot handle:
 * `bytes` is undefined and `report.state` says why. `bytes` is set only when the report is
 * "offered". `threads` = onnxruntime intra-op threads.
 */
export async function buildInt8Model(input: {
  fp32: Uint8Array;
  spec: ModelSpec;
  taskKind: "super_resolution" | "segmentation";
  threads: number;
}): Promise<{ bytes?: Uint8Array; report: Int8Report }> {
  const measuredAt = new Date().toISOString();
  const vnni = hasVnni();
  const unsupported = (reason: string) => ({
    report: { state: "unsupported" as const, reason, vnni, measuredAt },
  });
  if (input.spec.kind !== input.taskKind) {
    return unsupported(
      `INT8 is offered for super-resolution and segmentation weights; this weight's spec is ${input.spec.kind}.`,
    );
  }
  let quantized: Awaited<ReturnType<typeof quantizeModel>>;
  try {
    quantized = await quantizeModel({
      fp32: input.fp32,
      spec: input.spec,
      threads: input.threads,
      reduceRange: !vnni,
    });
  } catch (error) {
    if (error instanceof QuantizeUnsupportedError || error instanceof OnnxInspectError) {
      return unsupported(error.message);
    }
    return unsupported(`INT8 could not quantise this model: ${(error as Error).message}`);
  }
  const report = await gateInt8Model(input, quantized, measuredAt);
  return report.state === "offered" ? { bytes: quantized.bytes, report } : { report };
}

/**
 * The quality and speed gate of a quantised model against its FP32 original (buildInt8Model's
 * second half; never throws: a graph onnxruntime refuses is reported as unsupported).
 */
export async function gateInt8Model(
  input: { fp32: Uint8Array; spec: ModelSpec; threads: number },
  quantized: QuantizedModel,
  measuredAt = new Date().toISOString(),
): Promise<Int8Report> {
  const vnni = hasVnni();
  const counts = { quantizedConvs: quantized.quantizedConvs, totalConvs: quantized.totalConvs };
  try {
    const report = await gate(input, quantized.bytes, quantized.inputs);
    return { ...report, ...counts, vnni, measuredAt };
  } catch (error) {
    // onnxruntime refusing the INT8 graph (an operator combination it has no kernel for).
    return {
      state: "unsupported",
      reason: `onnxruntime could not run the INT8 model: ${(error as Error).message.split("\n")[0]}`,
      ...counts,
      vnni,
      measuredAt,
    };
  }
}

type GateResult = Omit<Int8Report, "measuredAt" | "vnni" | "quantizedConvs" | "totalConvs">;

async function gate(
  input: { fp32: Uint8Array; spec: ModelSpec; threads: number },
  int8: Uint8Array,
  calibration: CalibrationInput[],
): Promise<GateResult> {
  const { spec, threads } = input;
  const fp32 = await cpuSession(input.fp32, threads);
  const q8 = await cpuSession(int8, threads);
  try {
    let psnrDb = Number.POSITIVE_INFINITY;
    let agreement = 1;
    for (const x of calibration) {
      const a = await runOnce(fp32, spec, x);
      const b = await runOnce(q8, spec, x);
      if (spec.kind === "segmentation") agreement = Math.min(agreement, maskAgreement(a, b, spec));
      else {
        const peak = spec.kind === "super_resolution" && spec.outputRange === "0-255" ? 255 : 1;
        psnrDb = Math.min(psnrDb, outputPsnr(a.data, b.data, peak));
      }
    }
    const [first] = await loadCalibrationImages();
    const side = spec.size.mode === "fixed" ? undefined : SPEED_SIDE;
    const speedInput = modelInput(first as NonNullable<typeof first>, spec, side);
    const [fp32Ms, int8Ms] = (await bestTimes([fp32, q8], spec, speedInput, SPEED_ROUNDS)) as [
      number,
      number,
    ];
    const speedup = fp32Ms / int8Ms;
    const speedSide = speedInput.dims[3] as number;
    const figures = {
      speedup: round(speedup, 2),
      fp32Ms: round(fp32Ms, 1),
      int8Ms: round(int8Ms, 1),
      speedSide,
    };
    const seg = spec.kind === "segmentation";
    const quality = seg
      ? { maskAgreement: round(agreement, 5) }
      : { psnrDb: round(Math.min(psnrDb, 99), 2) };
    const qualityOk = seg ? agreement >= INT8_GATE.minMaskAgreement : psnrDb >= INT8_GATE.minPsnrDb;
    const measured = seg
      ? `INT8 masks agree with FP32 on ${(agreement * 100).toFixed(2)}% of pixels (gate: ${INT8_GATE.minMaskAgreement * 100}%)`
      : `INT8 keeps ${psnrDb.toFixed(1)} dB PSNR against FP32 (gate: ${INT8_GATE.minPsnrDb} dB)`;
    const pace = `${speedup.toFixed(1)}x`;
    if (!qualityOk) {
      const low = seg
        ? `INT8 masks agree with FP32 on only ${(agreement * 100).toFixed(2)}% of pixels (gate: ${INT8_GATE.minMaskAgreement * 100}%)`
        : `INT8 reaches only ${psnrDb.toFixed(1)} dB PSNR against FP32 (gate: ${INT8_GATE.minPsnrDb} dB)`;
      return {
        state: "refused",
        reason: `${low}, so it is not offered (its speed: ${pace} FP32).`,
        ...quality,
        ...figures,
      };
    }
    if (speedup < INT8_GATE.minSpeedup) {
      return {
        state: "not_faster",
        reason: `${measured} but runs only ${pace} as fast as FP32 on this CPU (gate: ${INT8_GATE.minSpeedup}x${hasVnni() ? "" : "; the CPU has no VNNI"}).`,
        ...quality,
        ...figures,
      };
    }
    return {
      state: "offered",
      reason: `${measured} and runs ${pace} faster.`,
      ...quality,
      ...figures,
    };
  } finally {
    await fp32.release();
    await q8.release();
  }
}
