import { attr, type GraphBuilder, tensor } from "../onnx/write";
import type { Weights } from "./types";

export { batchNormParams, convParams } from "./param-specs";

/** PyTorch's BatchNorm2d default epsilon. */
export const BN_EPS = 1e-5;

export function param(weights: Weights, name: string): Float32Array {
  const value = weights.get(name);
  if (!value) throw new Error(`weight '${name}' is missing (check keys before building)`);
  return value;
}

/**
 * Folds an eval-mode BatchNorm2d into the preceding convolution:
 * w' = w * g / sqrt(v + eps) per output channel, b' = (b - m) * g / sqrt(v + eps) + beta.
 */
export function foldBatchNorm(
  weight: Float32Array,
  bias: Float32Array | null,
  bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array },
  eps = BN_EPS,
): { weight: Float32Array; bias: Float32Array } {
  const outC = bn.gamma.length;
  const perChannel = weight.length / outC;
  const foldedWeight = new Float32Array(weight.length);
  const foldedBias = new Float32Array(outC);
  for (let o = 0; o < outC; o++) {
    const scale = (bn.gamma[o] as number) / Math.sqrt((bn.variance[o] as number) + eps);
    for (let i = 0; i < perChannel; i++) {
      foldedWeight[o * perChannel + i] = (weight[o * perChannel + i] as number) * scale;
    }
    const b = bias ? (bias[o] as number) : 0;
    foldedBias[o] = (b - (bn.mean[o] as number)) * scale + (bn.beta[o] as number);
  }
  return { weight: foldedWeight, bias: foldedBias };
}

export interface ConvOptions {
  kernel: number;
  outC: number;
  inC: number;
  pad?: number;
}

/** A Conv node whose initializers keep the PyTorch key names. */
export function conv(
  g: GraphBuilder,
  x: string,
  name: string,
  weight: Float32Array,
  bias: Float32Array | null,
  { kernel, outC, inC, pad = Math.floor(kernel / 2) }: ConvOptions,
): string {
  const w = g.initializer(`${name}.weight`, tensor.f32([outC, inC, kernel, kernel], weight));
  const inputs = [x, w];
  if (bias) inputs.push(g.initializer(`${name}.bias`, tensor.f32([outC], bias)));
  return g.node(
    "Conv",
    inputs,
    { kernel_shape: [kernel, kernel], pads: [pad, pad, pad, pad], strides: [1, 1] },
    { name },
  );
}

export function leakyRelu(g: GraphBuilder, x: string, slope = 0.2): string {
  return g.node("LeakyRelu", [x], { alpha: attr.float(slope) });
}

/** Nearest upsampling exactly as torch's F.interpolate(mode="nearest"): src = floor(dst / s). */
export function upsampleNearest(g: GraphBuilder, x: string, scale: number): string {
  const scales = g.constant(tensor.f32([4], [1, 1, scale, scale]), "scales");
  return g.node("Resize", [x, "", scales], {
    mode: "nearest",
    coordinate_transformation_mode: "asymmetric",
    nearest_mode: "floor",
  });
}

/** nn.PixelShuffle: DepthToSpace in column-row-depth order (PyTorch's channel layout). */
export function pixelShuffle(
  g: GraphBuilder,
  x: string,
  scale: number,
  options: { outputs?: string[] } = {},
): string {
  return g.node("DepthToSpace", [x], { blocksize: scale, mode: "CRD" }, options);
}

export function scaleBy(g: GraphBuilder, x: string, factor: number): string {
  return g.node("Mul", [x, g.constant(tensor.scalar(factor), "factor")]);
}
