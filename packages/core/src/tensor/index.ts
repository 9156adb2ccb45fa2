import { maxValue, type RawImage } from "../image/types";
import type { ColorOrder, Normalization, ValueRange } from "../spec/index";

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Per model channel: tensor = pixel * scale[c] + offset[c] (pixel in 0..maxValue units). */
export interface Affine {
  scale: Float32Array;
  offset: Float32Array;
}

export function modelChannels(order: ColorOrder): 1 | 3 {
  return order === "gray" ? 1 : 3;
}

const rangeMax = (r: ValueRange) => (r === "0-255" ? 255 : 1);

/**
 * What one step of an 8-bit pixel is in a model's output range, as a float32 (the scale of the
 * graph's own 8-bit output, pipeline/byte-output.ts).
 */
export const BYTE_SCALE: Readonly<Record<ValueRange, number>> = {
  "0-1": Math.fround(1 / 255),
  "0-255": 1,
};

const clampedByte = new Uint8ClampedArray(1);

/**
 * A model output value as an 8-bit sample, computed as onnxruntime's QuantizeLinear does on the
 * CPU: a float32 division by BYTE_SCALE, rounded half to even (what a clamped byte store does),
 * saturated, NaN to 0. Hot loops store `Math.fround(v / scale)` into a Uint8ClampedArray
 * themselves, which is the same.
 */
export function quantiseByte(v: number, range: ValueRange): number {
  clampedByte[0] = Math.fround(v / BYTE_SCALE[range]);
  return clampedByte[0] as number;
}

/** Folds value range, mean and std into one multiply-add per sample. */
export function inputAffine(norm: Normalization, order: ColorOrder, depth: 8 | 16): Affine {
  const c = modelChannels(order);
  const scale = new Float32Array(c);
  const offset = new Float32Array(c);
  const unit = rangeMax(norm.range) / maxValue(depth);
  for (let i = 0; i < c; i++) {
    // mean/std are given in model (rgb or bgr) channel order already.
    const mean = norm.mean[i] ?? norm.mean[0] ?? 0;
    const std = norm.std[i] ?? norm.std[0] ?? 1;
    scale[i] = unit / std;
    offset[i] = -mean / std;
  }
  return { scale, offset };
}

/** Mirror index without repeating the edge (numpy "reflect"); works for any distance. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

function reflectTable(start: number, length: number, n: number): Int32Array {
  const t = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const j = start + i;
    t[i] = j >= 0 && j < n ? j : reflectIndex(j, n);
  }
  return t;
}

// Rec. 601 luma, as PIL "L" and OpenCV's gray conversion use.
export const LUMA_R = 0.299;
export const LUMA_G = 0.587;
export const LUMA_B = 0.114;

/**
 * Writes a rect of the image (may reach outside it: reflected) as planar NCHW floats into
 * `out` at `offset`. Alpha is ignored; gray<->colour is converted by luma/replication.
 */
export function fillTensorRegion(
  img: RawImage,
  rect: Rect,
  order: ColorOrder,
  affine: Affine,
  out: Float32Array,
  offset = 0,
): Float32Array {
  const { width: w, height: h } = rect;
  const plane = w * h;
  const src = img.data;
  const sc = img.channels;
  const srcGray = sc <= 2;
  const xs = reflectTable(rect.x, w, img.width);
  const ys = reflectTable(rect.y, h, img.height);
  const s0 = affine.scale[0] as number;
  const o0 = affine.offset[0] as number;
  if (order === "gray") {
    for (let y = 0; y < h; y++) {
      const row = (ys[y] as number) * img.width;
      let d = offset + y * w;
      for (let x = 0; x < w; x++, d++) {
        const p = (row + (xs[x] as number)) * sc;
        const v = srcGray
          ? (src[p] as number)
          : LUMA_R * (src[p] as number) +
            LUMA_G * (src[p + 1] as number) +
            LUMA_B * (src[p + 2] as number);
        out[d] = v * s0 + o0;
      }
    }
    return out;
  }
  // Planes in model order: rgb -> R,G,B; bgr -> B,G,R.
  const rPlane = offset + (order === "bgr" ? 2 : 0) * plane;
  const gPlane = offset + plane;
  const bPlane = offset + (order === "bgr" ? 0 : 2) * plane;
  const rS = order === "bgr" ? (affine.scale[2] as number) : s0;
  const rO = order === "bgr" ? (affine.offset[2] as number) : o0;
  const gS = affine.scale[1] as number;
  const gO = affine.offset[1] as number;
  const bS = order === "bgr" ? s0 : (affine.scale[2] as number);
  const bO = order === "bgr" ? o0 : (affine.offset[2] as number);
  for (let y = 0; y < h; y++) {
    const row = (ys[y] as number) * img.width;
    const base = y * w;
    for (let x = 0; x < w; x++) {
      const p = (row + (xs[x] as number)) * sc;
      const r = src[p] as number;
      const g = srcGray ? r : (src[p + 1] as number);
      const b = srcGray ? r : (src[p + 2] as number);
      out[rPlane + base + x] = r * rS + rO;
      out[gPlane + base + x] = g * gS + gO;
      out[bPlane + base + x] = b * bS + bO;
    }
  }
  return out;
}

/** The whole image as a [1, C, H, W] float tensor. */
export function imageToTensor(img: RawImage, order: ColorOrder, norm: Normalization): Float32Array {
  const c = modelChannels(order);
  const out = new Float32Array(c * img.width * img.height);
  const rect = { x: 0, y: 0, width: img.width, height: img.height };
  return fillTensorRegion(img, rect, order, inputAffine(norm, order, img.depth), out);
}

/**
 * Planar [C, H, W] model output -> interleaved pixels (`dest`, which may have an extra alpha
 * slot that is left alone). Values: range 0..1 or 0..255 mapped to 0..max, rounded, clamped
 * (8-bit samples by quantiseByte).
 */
export function tensorToPixels(
  tensor: Float32Array,
  width: number,
  height: number,
  order: ColorOrder,
  outputRange: ValueRange,
  dest: RawImage,
): RawImage {
  const max = maxValue(dest.depth);
  const k = max / rangeMax(outputRange);
  const toSample =
    dest.depth === 8
      ? (v: number) => quantiseByte(v, outputRange)
      : (v: number) => quantise(v * k, max);
  const plane = width * height;
  const dc = dest.channels;
  const out = dest.data;
  const mc = modelChannels(order);
  const colourOut = dc >= 3;
  for (let i = 0, d = 0; i < plane; i++, d += dc) {
    if (mc === 1) {
      const v = toSample(tensor[i] as number);
      out[d] = v;
      if (colourOut) {
        out[d + 1] = v;
        out[d + 2] = v;
      }
      continue;
    }
    const a = toSample(tensor[i] as number);
    const g = toSample(tensor[plane + i] as number);
    const c = toSample(tensor[2 * plane + i] as number);
    const r = order === "bgr" ? c : a;
    const b = order === "bgr" ? a : c;
    if (colourOut) {
      out[d] = r;
      out[d + 1] = g;
      out[d + 2] = b;
    } else {
      out[d] = Math.round(LUMA_R * r + LUMA_G * g + LUMA_B * b);
    }
  }
  return dest;
}

export function quantise(v: number, max: number): number {
  // NaN compares false both ways and becomes 0.
  return v > 0 ? (v < max ? Math.round(v) : max) : 0;
}

/**
 * Bilinear resize of planar float data with half-pixel centres (OpenCV INTER_LINEAR /
 * align_corners=false): src(x) = (dx + 0.5) * sw / dw - 0.5, clamped at the borders.
 */
export function resizeBilinear(
  src: Float32Array,
  channels: number,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
  out = new Float32Array(channels * dw * dh),
): Float32Array {
  const x0 = new Int32Array(dw);
  const x1 = new Int32Array(dw);
  const fx = new Float32Array(dw);
  axisWeights(sw, dw, x0, x1, fx);
  const y0 = new Int32Array(dh);
  const y1 = new Int32Array(dh);
  const fy = new Float32Array(dh);
  axisWeights(sh, dh, y0, y1, fy);
  for (let c = 0; c < channels; c++) {
    const sp = c * sw * sh;
    const dp = c * dw * dh;
    for (let y = 0; y < dh; y++) {
      const r0 = sp + (y0[y] as number) * sw;
      const r1 = sp + (y1[y] as number) * sw;
      const wy = fy[y] as number;
      for (let x = 0; x < dw; x++) {
        const a = x0[x] as number;
        const b = x1[x] as number;
        const wx = fx[x] as number;
        const top = (src[r0 + a] as number) * (1 - wx) + (src[r0 + b] as number) * wx;
        const bot = (src[r1 + a] as number) * (1 - wx) + (src[r1 + b] as number) * wx;
        out[dp + y * dw + x] = top * (1 - wy) + bot * wy;
      }
    }
  }
  return out;
}

function axisWeights(sn: number, dn: number, i0: Int32Array, i1: Int32Array, f: Float32Array) {
  const ratio = sn / dn;
  for (let d = 0; d < dn; d++) {
    let s = (d + 0.5) * ratio - 0.5;
    if (s < 0) s = 0;
    const lo = Math.min(Math.floor(s), sn - 1);
    i0[d] = lo;
    i1[d] = Math.min(lo + 1, sn - 1);
    f[d] = s - lo;
  }
}
