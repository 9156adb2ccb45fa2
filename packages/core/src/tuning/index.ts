import sharp, { type Sharp } from "sharp";
import type { RawImage } from "../image/types";
import { maxValue } from "../image/types";
import type { TuningValues } from "../spec/index";
import { LUMA_B, LUMA_G, LUMA_R, quantise } from "../tensor/index";

/** Smallest blur sigma sharp accepts; a smaller non-zero sharpen uses this radius. */
const MIN_SIGMA = 0.3;
/** The Gaussian mask reaches to where it falls below 1% (about 3 sigma). */
const BLUR_MIN_AMPLITUDE = 0.01;
/** Unsharp-mask gain: 1 adds back the full detail the blur removed. */
const SHARPEN_AMOUNT = 1;

/**
 * Output pixels a tuned pixel depends on around it (sharpen and median kernels). A crop
 * expanded by this much, tuned, then cropped equals the crop of the tuned full image.
 */
export function tuningMargin(values: TuningValues | null): number {
  if (!values) return 0;
  // The blur mask reaches about 3 sigma; 6 sigma + 4 leaves room.
  const sharpen = values.sharpen > 0 ? Math.ceil(Math.max(values.sharpen, MIN_SIGMA) * 6) + 4 : 0;
  const median = values.denoise > 0 ? Math.floor(values.denoise / 2) + 1 : 0;
  return sharpen + median;
}

export function isNeutral(v: TuningValues): boolean {
  return (
    v.sharpen === 0 &&
    v.contrast === 1 &&
    v.brightness === 1 &&
    v.saturation === 1 &&
    v.gamma === 1 &&
    v.denoise === 0
  );
}

/**
 * Applies tuning to colour or gray pixels without alpha (alpha is recombined by the caller),
 * keeping bit depth and channel count. null (preset "raw") returns the input untouched.
 *
 * Denoise (median) and the sharpen blur run in sharp; sharpening, saturation, contrast,
 * brightness and gamma are then one pass in floating point with a single rounding. Sharpening
 * adds back luma detail only (in + amount * (Y(in) - Y(blur))), like sharpening the L channel,
 * so edges gain no colour fringes.
 */
export async function applyTuning(img: RawImage, values: TuningValues | null): Promise<RawImage> {
  if (!values || isNeutral(values)) return img;
  if (img.channels !== 1 && img.channels !== 3) {
    throw new Error(`applyTuning expects 1 or 3 channels, got ${img.channels}`);
  }
  const base = values.denoise > 0 ? await sharpOp(img, (s) => s.median(values.denoise)) : img;
  const blurred =
    values.sharpen > 0
      ? await sharpOp(base, (s) =>
          s.blur({
            sigma: Math.max(values.sharpen, MIN_SIGMA),
            minAmplitude: BLUR_MIN_AMPLITUDE,
          }),
        )
      : null;
  // Write into a buffer this call owns, never into the caller's pixels.
  const out = blurred ?? (base === img ? { ...img, data: img.data.slice() } : base);
  pointwise(base, blurred, values, out);
  return out;
}

/**
 * out = gamma(brightness * (contrast * (saturate(sharpen(base)) - mid) + mid)), rounded once.
 * Expanded per channel c with luma Y: gain * sat * c + gain * ((1 + a - sat) * Y - a * Y(blur))
 * + offset, so a pixel costs two lumas and three multiply-adds.
 */
function pointwise(base: RawImage, blurred: RawImage | null, v: TuningValues, out: RawImage): void {
  const mid = base.depth === 16 ? 32768 : 128;
  const gain = v.brightness * v.contrast;
  const offset = v.brightness * mid * (1 - v.contrast);
  const a = blurred ? SHARPEN_AMOUNT : 0;
  const src = base.data;
  const blur = blurred?.data ?? src;
  const dst = out.data;
  // 8-bit: a clamped store rounds and clamps in one machine step. 16-bit goes through floats.
  const target =
    dst instanceof Uint8Array
      ? new Uint8ClampedArray(dst.buffer, dst.byteOffset, dst.length)
      : new Float32Array(dst.length);
  if (base.channels === 1) {
    const ks = gain * (1 + a);
    const kb = gain * a;
    for (let i = 0; i < src.length; i++)
      target[i] = ks * (src[i] as number) - kb * (blur[i] as number) + offset;
  } else {
    const kc = gain * v.saturation;
    const ky = gain * (1 + a - v.saturation);
    const kb = gain * a;
    for (let i = 0; i < src.length; i += 3) {
      const r = src[i] as number;
      const g = src[i + 1] as number;
      const b = src[i + 2] as number;
      const y = LUMA_R * r + LUMA_G * g + LUMA_B * b;
      const yBlur =
        LUMA_R * (blur[i] as number) +
        LUMA_G * (blur[i + 1] as number) +
        LUMA_B * (blur[i + 2] as number);
      const common = ky * y - kb * yBlur + offset;
      target[i] = kc * r + common;
      target[i + 1] = kc * g + common;
      target[i + 2] = kc * b + common;
    }
  }
  if (target instanceof Float32Array) {
    const max = maxValue(out.depth);
    for (let i = 0; i < dst.length; i++) dst[i] = quantise(target[i] as number, max);
  }
  if (v.gamma !== 1) applyGamma(out, v.gamma);
}

/** out = max * (in / max)^(1/gamma) through a lookup table (sharp's gamma is a resize aid). */
function applyGamma(img: RawImage, gamma: number): void {
  const max = maxValue(img.depth);
  const lut = img.depth === 16 ? new Uint16Array(max + 1) : new Uint8Array(max + 1);
  for (let v = 0; v <= max; v++) lut[v] = Math.round(max * (v / max) ** (1 / gamma));
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = lut[d[i] as number] as number;
}

/** One sharp operation on raw pixels, keeping channels and bit depth. */
async function sharpOp(img: RawImage, op: (s: Sharp) => Sharp): Promise<RawImage> {
  const gray = img.channels === 1;
  const wide = img.depth === 16;
  let s = sharp(img.data, {
    raw: { width: img.width, height: img.height, channels: img.channels },
  });
  if (wide) s = s.toColourspace(gray ? "grey16" : "rgb16");
  s = op(s).toColourspace(gray ? (wide ? "grey16" : "b-w") : wide ? "rgb16" : "srgb");
  const { data, info } = await s
    .raw({ depth: wide ? "ushort" : "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== img.channels || info.width !== img.width || info.height !== img.height) {
    throw new Error(
      `tuning changed the image shape to ${info.width}x${info.height}x${info.channels}`,
    );
  }
  const pixels = wide
    ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { ...img, data: pixels };
}
