import sharp, { type Sharp } from "sharp";
import { yieldToEventLoop } from "../image/png";
import type { RawImage } from "../image/types";
import { maxValue } from "../image/types";
import { NEUTRAL_TUNING, type TuningValues } from "../spec/index";
import { MIN_SIGMA, tuneStrips } from "./strips";

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

/** The largest tuningMargin any valid tuning has (sharpen and denoise at their maxima). */
export const MAX_TUNING_MARGIN = tuningMargin({ ...NEUTRAL_TUNING, sharpen: 5, denoise: 7 });

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

export interface TuningOptions {
  /** The caller hands its pixels over: tune them in place instead of into a copy. */
  inPlace?: boolean;
  /**
   * Called as each strip of rows [y0, y1) of the result is final, top to bottom (a PNG writer
   * can compress them while the next strip is tuned).
   */
  onRows?: (image: RawImage, y0: number, y1: number) => void;
}

/**
 * Applies tuning to colour or gray pixels without alpha (alpha is recombined by the caller),
 * keeping bit depth and channel count. null (preset "raw") returns the input untouched.
 * Denoise (median) runs in sharp; the rest is one strip-wise float pass (tuneStrips) and a
 * gamma lookup table. Untouched input (raw or neutral) is returned as is and onRows not called.
 */
export async function applyTuning(
  img: RawImage,
  values: TuningValues | null,
  options: TuningOptions = {},
): Promise<RawImage> {
  if (!values || isNeutral(values)) return img;
  if (img.channels !== 1 && img.channels !== 3) {
    throw new Error(`applyTuning expects 1 or 3 channels, got ${img.channels}`);
  }
  const base = values.denoise > 0 ? await sharpOp(img, (s) => s.median(values.denoise)) : img;
  const out = base !== img || options.inPlace ? base : { ...img, data: img.data.slice() };
  const lut = values.gamma !== 1 ? gammaTable(out.depth, values.gamma) : null;
  const rowLength = out.width * out.channels;
  await tuneStrips(base, values, out, async (y0, y1) => {
    if (lut) {
      const d = out.data;
      for (let i = y0 * rowLength; i < y1 * rowLength; i++) d[i] = lut[d[i] as number] as number;
    }
    if (options.onRows) {
      options.onRows(out, y0, y1);
      // A PNG writer's finished strips leave its queue only when the event loop runs (else it
      // compresses the last ones on this thread).
      await yieldToEventLoop();
    }
  });
  return out;
}

/** out = max * (in / max)^(1/gamma) as a lookup table (sharp's gamma is a resize aid). */
function gammaTable(depth: 8 | 16, gamma: number): Uint8Array | Uint16Array {
  const max = maxValue(depth);
  const lut = depth === 16 ? new Uint16Array(max + 1) : new Uint8Array(max + 1);
  for (let v = 0; v <= max; v++) lut[v] = Math.round(max * (v / max) ** (1 / gamma));
  return lut;
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
