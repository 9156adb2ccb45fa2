// Quality and speed of an INT8 model against its FP32 original, in this process.
import * as ort from "onnxruntime-node";
import { foregroundProbability } from "../pipeline/activation";
import { ortSessionOptions } from "../runtime/session";
import type { ModelSpec } from "../spec/index";
import type { CalibrationInput } from "./calibrate";

/** A CPU session with the product's options ("all" optimisations fuse QLinearConv to NHWC). */
export function cpuSession(bytes: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    ...ortSessionOptions({ intraOpThreads: threads }),
    executionProviders: ["cpu"],
  });
}

export async function runOnce(
  session: ort.InferenceSession,
  spec: ModelSpec,
  input: CalibrationInput,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const inName = spec.inputName ?? (session.inputNames[0] as string);
  const outName = spec.outputName ?? (session.outputNames[0] as string);
  const tensor = new ort.Tensor("float32", input.data, input.dims);
  const out = await session.run({ [inName]: tensor }, [outName]);
  const t = out[outName] as ort.Tensor;
  const result = { data: t.data as Float32Array, dims: [...t.dims] };
  return result;
}

/** PSNR of two model outputs after clamping to the output range, as pixels would be. */
export function outputPsnr(a: Float32Array, b: Float32Array, peak: number): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.min(peak, Math.max(0, a[i] as number));
    const y = Math.min(peak, Math.max(0, b[i] as number));
    se += (x - y) * (x - y);
  }
  const mse = se / Math.max(1, a.length);
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak) / mse);
}

/** Share of pixels on which the two outputs' masks (spec activation and threshold) agree. */
export function maskAgreement(
  a: { data: Float32Array; dims: readonly number[] },
  b: { data: Float32Array; dims: readonly number[] },
  spec: ModelSpec & { kind: "segmentation" },
): number {
  const plane = (a.dims[2] ?? 1) * (a.dims[3] ?? 1);
  const pa = new Float32Array(plane);
  const pb = new Float32Array(plane);
  foregroundProbability(a, spec.activation, spec.foregroundChannel, pa, plane);
  foregroundProbability(b, spec.activation, spec.foregroundChannel, pb, plane);
  const t = spec.defaultThreshold;
  let same = 0;
  for (let i = 0; i < plane; i++) if ((pa[i] as number) >= t === (pb[i] as number) >= t) same++;
  return same / plane;
}

/** Best wall time of each session on the same input, runs interleaved (after one warm-up each). */
export async function bestTimes(
  sessions: readonly ort.InferenceSession[],
  spec: ModelSpec,
  input: CalibrationInput,
  rounds: number,
): Promise<number[]> {
  for (const s of sessions) await runOnce(s, spec, input);
  const best = sessions.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of sessions.entries()) {
      const t = performance.now();
      await runOnce(s, spec, input);
      best[i] = Math.min(best[i] as number, performance.now() - t);
    }
  }
  return best;
}
