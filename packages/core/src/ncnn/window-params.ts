import { unsupported } from "./layer-context";
import { intParam, type NcnnLayer } from "./param";

// ncnn writes every 2-D window parameter (kernel, dilation, stride, pads) the same way: the
// width at id `n`, the height at `n + 10` defaulting to the width; pads left at `n`, top at
// `n + 10`, right at `n + 11`, bottom at `n + 12`. Convolution, Deconvolution and Pooling
// only differ in which `n` they use, so they read through these helpers.

/** Width and height of a window parameter: width at `id`, height at `id + 10`. */
export function sizeParam(
  layer: NcnnLayer,
  id: number,
  fallback: number,
): { w: number; h: number } {
  const w = intParam(layer, id, fallback);
  return { w, h: intParam(layer, id + 10, w) };
}

export interface Pads {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The four pads starting at `id` (right and top default to left, bottom to top). */
export function padParams(layer: NcnnLayer, id: number): Pads {
  const left = intParam(layer, id, 0);
  const top = intParam(layer, id + 10, left);
  return {
    left,
    right: intParam(layer, id + 11, left),
    top,
    bottom: intParam(layer, id + 12, top),
  };
}

/** ONNX `pads` order: [top, left, bottom, right]. */
export function onnxPads(p: Pads): number[] {
  return [p.top, p.left, p.bottom, p.right];
}

/** The parameters Convolution and Deconvolution share (same ids in both). */
export interface ConvolutionParams {
  outC: number;
  kernel: { w: number; h: number };
  dilation: { w: number; h: number };
  stride: { w: number; h: number };
  pads: Pads;
  biasTerm: number;
  weightSize: number;
}

export function convolutionParams(layer: NcnnLayer): ConvolutionParams {
  return {
    outC: intParam(layer, 0, 0),
    kernel: sizeParam(layer, 1, 0),
    dilation: sizeParam(layer, 2, 1),
    stride: sizeParam(layer, 3, 1),
    pads: padParams(layer, 4),
    biasTerm: intParam(layer, 5, 0),
    weightSize: intParam(layer, 6, 0),
  };
}

/** Refuses a weight blob whose size is not a whole number of [outC][?][kh][kw] kernels. */
export function checkWeightShape(layer: NcnnLayer, p: ConvolutionParams): void {
  const { outC, kernel, weightSize } = p;
  if (
    outC <= 0 ||
    kernel.w <= 0 ||
    kernel.h <= 0 ||
    weightSize % (outC * kernel.w * kernel.h) !== 0
  ) {
    unsupported(
      layer,
      `inconsistent shape: num_output ${outC}, kernel ${kernel.w}x${kernel.h}, weight size ${weightSize}`,
    );
  }
}
