import type { RawImage } from "../image/types";
import { maxValue } from "../image/types";
import { Kernels } from "../kernels/index";
import type { TuningValues } from "../spec/index";
import { LUMA_B, LUMA_G, LUMA_R, quantise } from "../tensor/index";

/** Smallest blur sigma a non-zero sharpen uses: below it the 3-tap mask barely blurs. */
export const MIN_SIGMA = 0.3;
/** The Gaussian mask reaches to where it falls below 1% (about 3 sigma), as libvips' gaussmat. */
const BLUR_MIN_AMPLITUDE = 0.01;
/** Unsharp-mask gain: 1 adds back the full detail the blur removed. */
const SHARPEN_AMOUNT = 1;
/** Rows tuned per strip: the float working set stays a few strips of rows, whatever the image. */
const STRIP_ROWS = 64;

/** Normalised 1-D Gaussian reaching out to where it falls below BLUR_MIN_AMPLITUDE. */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.floor(sigma * Math.sqrt(-2 * Math.log(BLUR_MIN_AMPLITUDE))));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] = (kernel[i] as number) / sum;
  return kernel;
}

/**
 * Sharpening, saturation, contrast and brightness in one floating-point pass with a single
 * rounding, strip by strip, so `out` may be `src` (1 or 3 channels, 8 or 16 bit).
 *
 * out = brightness * (contrast * (saturate(sharpen(src)) - mid) + mid), where sharpen adds back
 * luma detail only (c + amount * (Y - gauss(Y)), like sharpening the L channel: edges gain no
 * colour fringes). Expanded per channel: kc * c + ky * Y - kb * gauss(Y) + offset, so a pixel
 * costs one luma, its blur and three multiply-adds. The blur runs here on a float luma plane
 * of the strip (edges replicated): sharp would blur all three channels of an 8-bit copy, twice
 * the work and a rounding more. `onRows` hears of each strip once its rows are final, and the
 * next strip waits for what it returns. `portable` keeps the default case in JavaScript too (the
 * reference its WebAssembly kernel is tested against).
 */
export async function tuneStrips(
  src: RawImage,
  v: TuningValues,
  out: RawImage,
  onRows: (y0: number, y1: number) => void | Promise<void>,
  options: { portable?: boolean } = {},
): Promise<void> {
  const { width: w, height: h, channels } = src;
  const mid = src.depth === 16 ? 32768 : 128;
  const gain = v.brightness * v.contrast;
  const offset = v.brightness * mid * (1 - v.contrast);
  const kernel = v.sharpen > 0 ? gaussianKernel(Math.max(v.sharpen, MIN_SIGMA)) : null;
  const amount = kernel ? SHARPEN_AMOUNT : 0;
  const gray = channels === 1;
  const kc = gray ? 0 : gain * v.saturation;
  const ky = gray ? gain * (1 + amount) : gain * (1 + amount - v.saturation);
  const kb = gain * amount;
  // The default presets' case (a 3-tap blur of 8-bit colour) runs as WebAssembly with SIMD:
  // the same float operations in the same order, so the same pixels, in under half the time.
  if (
    kernel?.length === 3 &&
    channels === 3 &&
    src.depth === 8 &&
    out.depth === 8 &&
    !options.portable
  ) {
    return sharpen3Strips(src, out, kernel, { kc, ky, kb, offset }, onRows);
  }

  const r = kernel ? (kernel.length - 1) / 2 : 0;
  const strip = Math.max(STRIP_ROWS, 2 * r);
  const windowRows = strip + 2 * r;
  // Luma of image rows [y0 - r, y1 + r) (row index clamped), padded by r replicated columns.
  const paddedW = w + 2 * r;
  const luma = new Float32Array(windowRows * paddedW);
  const across = new Float32Array(windowRows * w);
  const blurred = new Float32Array(w);
  const wide = out.depth === 16 ? new Float32Array(w * channels) : null;
  const clamped = wide
    ? null
    : new Uint8ClampedArray(out.data.buffer, out.data.byteOffset, out.data.length);
  const max = maxValue(out.depth);
  const s = src.data;
  const rowLen = w * channels;

  // Row `row` of the window holds image row y0 - r + row. Rows carried from the previous strip
  // were computed before any pixel of theirs was written, so in-place tuning reads originals.
  let carried = 0;
  for (let y0 = 0; y0 < h; y0 += strip) {
    const y1 = Math.min(h, y0 + strip);
    const rows = y1 - y0 + 2 * r;
    for (let row = carried; row < rows; row++) {
      const y = Math.min(h - 1, Math.max(0, y0 - r + row));
      lumaRow(s, y * rowLen, channels, w, luma, row * paddedW + r);
      const base = row * paddedW;
      const first = luma[base + r] as number;
      const last = luma[base + r + w - 1] as number;
      for (let i = 0; i < r; i++) {
        luma[base + i] = first;
        luma[base + r + w + i] = last;
      }
      if (kernel) blurAcross(luma, base, kernel, w, across, row * w);
    }
    for (let y = y0; y < y1; y++) {
      const row = y - y0 + r;
      if (kernel) blurDown(across, row, kernel, w, blurred);
      const o = y * rowLen;
      // 8-bit rows are written straight into the output (clamped stores round once); 16-bit
      // rows go through a float row and are quantised.
      const target = wide ?? (clamped as Uint8ClampedArray);
      const t0 = wide ? 0 : o;
      if (gray) grayRow(s, o, blurred, target, t0, w, ky, kb, offset);
      else colourRow(s, o, luma, row * paddedW + r, blurred, target, t0, w, kc, ky, kb, offset);
      if (wide) for (let i = 0; i < rowLen; i++) out.data[o + i] = quantise(wide[i] as number, max);
    }
    await onRows(y0, y1);
    // The next strip's first 2r window rows are this window's last 2r rows.
    carried = 2 * r;
    if (y1 < h && carried > 0) {
      luma.copyWithin(0, (rows - carried) * paddedW, rows * paddedW);
      across.copyWithin(0, (rows - carried) * w, rows * w);
    }
  }
}

/**
 * tuneStrips' default case in the WebAssembly kernel, strip by strip: each strip's window of
 * source rows (one above, one below, clamped at the image's edges) is copied in before any of
 * its rows is written, so `out` may be `src`; the luma and blur of the window's last two rows
 * stay in the kernel's memory for the next strip.
 */
async function sharpen3Strips(
  src: RawImage,
  out: RawImage,
  kernel: Float32Array,
  k: { kc: number; ky: number; kb: number; offset: number },
  onRows: (y0: number, y1: number) => void | Promise<void>,
): Promise<void> {
  const { width: w, height: h } = src;
  const rowLen = w * 3;
  const windowRows = STRIP_ROWS + 2;
  const blur = { side: kernel[0] as number, centre: kernel[1] as number };
  const kernels = Kernels.acquire();
  try {
    const [srcAt, lumaAt, acrossAt, outAt, wideAt] = kernels.reserve([
      windowRows * rowLen,
      windowRows * w * 4,
      windowRows * w * 4,
      STRIP_ROWS * rowLen,
      rowLen * 8,
    ]) as [number, number, number, number, number];
    const at = { src: srcAt, luma: lumaAt, across: acrossAt, out: outAt, wide: wideAt };
    let carried = 0;
    for (let y0 = 0; y0 < h; y0 += STRIP_ROWS) {
      const y1 = Math.min(h, y0 + STRIP_ROWS);
      const rows = y1 - y0 + 2;
      const memory = kernels.bytes;
      // Window row i is image row y0 - 1 + i, clamped; row 0 of a later strip is carried (its
      // pixels may already be tuned in place and are not read).
      for (let row = carried > 0 ? 1 : 0; row < rows; row++) {
        const y = Math.min(h - 1, Math.max(0, y0 - 1 + row));
        memory.set(src.data.subarray(y * rowLen, (y + 1) * rowLen), srcAt + row * rowLen);
      }
      kernels.sharpen3Strip(at, w, rows, carried, y1 - y0, blur, k);
      out.data.set(memory.subarray(outAt, outAt + (y1 - y0) * rowLen), y0 * rowLen);
      carried = 2;
      await onRows(y0, y1);
    }
  } finally {
    kernels.release();
  }
}

/** One gray row: the value is its own luma. */
function grayRow(
  s: RawImage["data"],
  o: number,
  blurred: Float32Array,
  target: Float32Array | Uint8ClampedArray,
  t0: number,
  w: number,
  ky: number,
  kb: number,
  offset: number,
): void {
  for (let x = 0; x < w; x++) {
    target[t0 + x] = ky * (s[o + x] as number) - kb * (blurred[x] as number) + offset;
  }
}

/** One colour row: kc * c + ky * Y - kb * gauss(Y) + offset per channel. */
function colourRow(
  s: RawImage["data"],
  o: number,
  luma: Float32Array,
  lumaAt: number,
  blurred: Float32Array,
  target: Float32Array | Uint8ClampedArray,
  t0: number,
  w: number,
  kc: number,
  ky: number,
  kb: number,
  offset: number,
): void {
  for (let x = 0, i = 0; x < w; x++, i += 3) {
    const common = ky * (luma[lumaAt + x] as number) - kb * (blurred[x] as number) + offset;
    target[t0 + i] = kc * (s[o + i] as number) + common;
    target[t0 + i + 1] = kc * (s[o + i + 1] as number) + common;
    target[t0 + i + 2] = kc * (s[o + i + 2] as number) + common;
  }
}

function lumaRow(
  s: RawImage["data"],
  from: number,
  channels: number,
  w: number,
  luma: Float32Array,
  to: number,
): void {
  if (channels === 1) {
    for (let x = 0; x < w; x++) luma[to + x] = s[from + x] as number;
    return;
  }
  const lr = LUMA_R;
  const lg = LUMA_G;
  const lb = LUMA_B;
  for (let x = 0, i = from; x < w; x++, i += 3) {
    luma[to + x] = lr * (s[i] as number) + lg * (s[i + 1] as number) + lb * (s[i + 2] as number);
  }
}

/** Horizontal pass of the separable Gaussian over one padded luma row. */
function blurAcross(
  luma: Float32Array,
  base: number,
  kernel: Float32Array,
  w: number,
  out: Float32Array,
  to: number,
): void {
  const taps = kernel.length;
  if (taps === 3) {
    const k0 = kernel[0] as number;
    const k1 = kernel[1] as number;
    for (let x = 0, i = base; x < w; x++, i++) {
      out[to + x] =
        k0 * ((luma[i] as number) + (luma[i + 2] as number)) + k1 * (luma[i + 1] as number);
    }
    return;
  }
  // Four columns at a time, each summed in the same order as alone (the same pixels): one
  // column's sum is a chain of dependent additions, four independent chains run side by side.
  // A 17-tap sharpen of a 1064 px preview crop: 46 instead of 66 ms.
  let x = 0;
  for (; x + 4 <= w; x += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0, i = base + x; k < taps; k++, i++) {
      const c = kernel[k] as number;
      s0 += c * (luma[i] as number);
      s1 += c * (luma[i + 1] as number);
      s2 += c * (luma[i + 2] as number);
      s3 += c * (luma[i + 3] as number);
    }
    out[to + x] = s0;
    out[to + x + 1] = s1;
    out[to + x + 2] = s2;
    out[to + x + 3] = s3;
  }
  for (; x < w; x++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += (kernel[k] as number) * (luma[base + x + k] as number);
    out[to + x] = sum;
  }
}

/** Vertical pass for the image row at window row `row` (its r neighbours above and below). */
function blurDown(
  across: Float32Array,
  row: number,
  kernel: Float32Array,
  w: number,
  out: Float32Array,
): void {
  const r = (kernel.length - 1) / 2;
  const k0 = kernel[r] as number;
  const centre = row * w;
  if (r === 1) {
    const k1 = kernel[2] as number;
    for (let x = 0, up = centre - w, down = centre + w; x < w; x++) {
      out[x] =
        k0 * (across[centre + x] as number) +
        k1 * ((across[up + x] as number) + (across[down + x] as number));
    }
    return;
  }
  for (let x = 0; x < w; x++) out[x] = k0 * (across[centre + x] as number);
  for (let d = 1; d <= r; d++) {
    const k = kernel[r + d] as number;
    const above = (row - d) * w;
    const below = (row + d) * w;
    for (let x = 0; x < w; x++) {
      out[x] =
        (out[x] as number) + k * ((across[above + x] as number) + (across[below + x] as number));
    }
  }
}
