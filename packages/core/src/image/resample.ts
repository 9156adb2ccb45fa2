// Lanczos-3 resampling of a super-resolution result to a smaller output size (x2 from an x4
// model, or a width or height). Hand-written rather than sharp's resize because a preview
// computes a crop: each output pixel here is a function of its position in the WHOLE image
// (kernel centre (o + 0.5) * in / out - 0.5, edges clamped to the whole image), so a crop of the
// result computed from a crop of the model's output equals the same crop of the full run. A
// library resize of a crop places its kernels relative to the crop, which differs by a fraction
// of a pixel whenever the ratio is not whole.
import type { Rect } from "../tensor/index";
import { allocPixels, maxValue, type RawImage } from "./types";

const LOBES = 3;

function lanczos(x: number): number {
  if (x === 0) return 1;
  if (x <= -LOBES || x >= LOBES) return 0;
  const px = Math.PI * x;
  return (LOBES * Math.sin(px) * Math.sin(px / LOBES)) / (px * px);
}

interface AxisWeights {
  /** First source index (whole-image coordinates) per output index. */
  first: Int32Array;
  /** Taps per output index (all the same length, zero-padded). */
  taps: number;
  weights: Float32Array;
}

/** Kernel taps for outputs [from, from + count) of an axis resized from `inLen` to `outLen`. */
function axisWeights(inLen: number, outLen: number, from: number, count: number): AxisWeights {
  const ratio = inLen / outLen;
  const stretch = Math.max(1, ratio);
  const support = LOBES * stretch;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(count);
  const weights = new Float32Array(count * taps);
  for (let i = 0; i < count; i++) {
    const centre = (from + i + 0.5) * ratio - 0.5;
    const start = Math.floor(centre - support) + 1;
    first[i] = start;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const w = lanczos((start + k - centre) / stretch);
      weights[i * taps + k] = w;
      sum += w;
    }
    for (let k = 0; k < taps; k++) weights[i * taps + k] = (weights[i * taps + k] as number) / sum;
  }
  return { first, taps, weights };
}

/** Source indices an axis's outputs [from, from + count) read (clamped to the image). */
export function resampleSpan(inLen: number, outLen: number, from: number, count: number) {
  const ratio = inLen / outLen;
  const support = LOBES * Math.max(1, ratio);
  const taps = Math.ceil(support) * 2 + 1;
  const start = (o: number) => Math.floor((o + 0.5) * ratio - 0.5 - support) + 1;
  return {
    start: Math.min(inLen - 1, Math.max(0, start(from))),
    end: Math.max(1, Math.min(inLen, start(from + count - 1) + taps)),
  };
}

/**
 * The rect `target` (output coordinates) of the whole `full` image resized to `out`, from `src`,
 * which holds the rect `at` of the whole image (it must cover what the target reads: see
 * resampleSpan). Samples are rounded and clamped to the source's depth.
 */
export function resampleLanczos3(
  src: RawImage,
  at: Rect,
  full: { width: number; height: number },
  out: { width: number; height: number },
  target: Rect,
): RawImage {
  const c = src.channels;
  const xw = axisWeights(full.width, out.width, target.x, target.width);
  const yw = axisWeights(full.height, out.height, target.y, target.height);
  const clampX = (x: number) => Math.min(full.width - 1, Math.max(0, x)) - at.x;
  const clampY = (y: number) => Math.min(full.height - 1, Math.max(0, y)) - at.y;
  // Rows of the source the vertical pass reads, filtered horizontally first.
  const span = resampleSpan(full.height, out.height, target.y, target.height);
  const rows = span.end - span.start;
  if (span.start < at.y || span.end > at.y + at.height) {
    throw new RangeError("resample: the source does not cover the rows the target reads");
  }
  const mid = new Float32Array(rows * target.width * c);
  const srcRow = src.width * c;
  for (let r = 0; r < rows; r++) {
    const base = (span.start + r - at.y) * srcRow;
    for (let ox = 0; ox < target.width; ox++) {
      const first = xw.first[ox] as number;
      const o = (r * target.width + ox) * c;
      for (let k = 0; k < xw.taps; k++) {
        const w = xw.weights[ox * xw.taps + k] as number;
        if (w === 0) continue;
        const sx = clampX(first + k);
        if (sx < 0 || sx >= src.width) {
          throw new RangeError("resample: the source does not cover the columns the target reads");
        }
        const s = base + sx * c;
        for (let ch = 0; ch < c; ch++)
          mid[o + ch] = (mid[o + ch] as number) + w * (src.data[s + ch] as number);
      }
    }
  }
  const max = maxValue(src.depth);
  const data = allocPixels(src.depth, target.width * target.height * c);
  const acc = new Float32Array(target.width * c);
  for (let oy = 0; oy < target.height; oy++) {
    acc.fill(0);
    const first = yw.first[oy] as number;
    for (let k = 0; k < yw.taps; k++) {
      const w = yw.weights[oy * yw.taps + k] as number;
      if (w === 0) continue;
      const row = clampY(first + k) + at.y - span.start;
      const base = row * target.width * c;
      for (let i = 0; i < acc.length; i++)
        acc[i] = (acc[i] as number) + w * (mid[base + i] as number);
    }
    const o = oy * target.width * c;
    for (let i = 0; i < acc.length; i++) {
      const v = Math.round(acc[i] as number);
      data[o + i] = v < 0 ? 0 : Math.min(v, max);
    }
  }
  return { width: target.width, height: target.height, channels: c, depth: src.depth, data };
}
