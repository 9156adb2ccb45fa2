import type { TensorOut } from "../runtime/runner";
import type { Activation } from "../spec/index";

/** Foreground probability per pixel from a [1, C, h, w] segmentation output. */
export function foregroundProbability(
  out: TensorOut,
  activation: Activation,
  channel: number,
  dest: Float32Array,
  plane: number,
): void {
  const c = out.dims[1] ?? 1;
  if (channel >= c)
    throw new Error(
      `model output has ${c} channel(s); foreground channel ${channel} does not exist`,
    );
  const d = out.data;
  const base = channel * plane;
  if (activation === "softmax" && c > 1) {
    for (let i = 0; i < plane; i++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < c; k++) max = Math.max(max, d[k * plane + i] as number);
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp((d[k * plane + i] as number) - max);
      dest[i] = Math.exp((d[base + i] as number) - max) / sum;
    }
    return;
  }
  if (activation === "sigmoid") {
    for (let i = 0; i < plane; i++) dest[i] = 1 / (1 + Math.exp(-(d[base + i] as number)));
    return;
  }
  // "none" (or softmax over a single channel, which would be constant 1): use as is, clamped.
  // Comparisons rather than Math.min/max so that NaN becomes 0 instead of spreading.
  for (let i = 0; i < plane; i++) {
    const v = d[base + i] as number;
    // biome-ignore lint/complexity/useMathMinMax: NaN must map to 0
    dest[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
}

/** Scores for classification: softmax, sigmoid or the logits unchanged. */
export function classScores(logits: Float32Array, activation: Activation | "logits"): Float64Array {
  const out = new Float64Array(logits.length);
  if (activation === "softmax") {
    let max = Number.NEGATIVE_INFINITY;
    for (const v of logits) max = Math.max(max, v);
    let sum = 0;
    for (let i = 0; i < logits.length; i++) {
      out[i] = Math.exp((logits[i] as number) - max);
      sum += out[i] as number;
    }
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  } else if (activation === "sigmoid") {
    for (let i = 0; i < logits.length; i++) out[i] = 1 / (1 + Math.exp(-(logits[i] as number)));
  } else {
    out.set(logits);
  }
  return out;
}
