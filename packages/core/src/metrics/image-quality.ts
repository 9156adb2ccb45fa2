// PSNR and SSIM of a restored image against its reference, computed as the super-resolution
// papers report them (BasicSR's calculate_psnr / calculate_ssim, test_y_channel=True): on the
// luma channel Y of ITU-R BT.601 (16..235, not rounded) in 0..255, with `crop` pixels cut from
// every border (the scale factor, by convention). SSIM is Wang et al. 2004 as their MATLAB
// ssim_index computes it: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, "valid"
// filtering (no padding), mean of the SSIM map.

/** Interleaved 8-bit (or 16-bit) pixels; 1 (gray), 3 (RGB) or 4 (RGBA, alpha ignored) channels. */
export interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: ArrayLike<number>;
  /** 8 (default) or 16: 16-bit values are scaled to 0..255 first. */
  depth?: 8 | 16;
}

/** A single channel as float64 in 0..255. */
export interface Plane {
  width: number;
  height: number;
  data: Float64Array;
}

/**
 * BT.601 luma as BasicSR's bgr2ycbcr(y_only=True) gives it, scaled back to 0..255:
 * Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255. A gray image is its own plane, unless it is
 * compared with a colour one (`grayAsRgb`): then it goes through the same formula with
 * R = G = B, or a gray copy of a colour image would not score as identical.
 */
export function lumaPlane(img: Pixels, grayAsRgb = false): Plane {
  const { width, height, channels, data } = img;
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `a ${width}x${height}x${channels} image needs ${width * height * channels} values, got ${data.length}`,
    );
  }
  const scale = img.depth === 16 ? 255 / 65535 : 1;
  const out = new Float64Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const o = i * channels;
    if (channels < 3 && !grayAsRgb) {
      out[i] = (data[o] as number) * scale;
    } else if (channels < 3) {
      out[i] = 16 + ((65.481 + 128.553 + 24.966) * (data[o] as number) * scale) / 255;
    } else {
      const r = (data[o] as number) * scale;
      const g = (data[o + 1] as number) * scale;
      const b = (data[o + 2] as number) * scale;
      out[i] = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
    }
  }
  return { width, height, data: out };
}

/** The plane without `crop` pixels on every side. */
export function cropPlane(p: Plane, crop: number): Plane {
  if (crop <= 0) return p;
  const width = p.width - 2 * crop;
  const height = p.height - 2 * crop;
  if (width <= 0 || height <= 0) {
    throw new RangeError(
      `a ${p.width}x${p.height} image is too small to crop ${crop} pixels from each border`,
    );
  }
  const data = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    data.set(
      p.data.subarray((y + crop) * p.width + crop, (y + crop) * p.width + crop + width),
      y * width,
    );
  }
  return { width, height, data };
}

function sameSize(a: Plane, b: Plane) {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(
      `the image is ${a.width}x${a.height} and its reference ${b.width}x${b.height}: they must be the same size`,
    );
  }
}

/** Mean squared error of two planes. */
export function meanSquaredError(a: Plane, b: Plane): number {
  sameSize(a, b);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = (a.data[i] as number) - (b.data[i] as number);
    sum += d * d;
  }
  return sum / a.data.length;
}

/** PSNR in dB for a 0..255 range; Infinity for identical planes. */
export function psnrFromMse(mse: number): number {
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

export function psnr(a: Plane, b: Plane): number {
  return psnrFromMse(meanSquaredError(a, b));
}

/** The normalised 11-tap Gaussian of sigma 1.5 (OpenCV's getGaussianKernel(11, 1.5)). */
export const SSIM_GAUSSIAN: readonly number[] = (() => {
  const taps = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
  const sum = taps.reduce((s, v) => s + v, 0);
  return Object.freeze(taps.map((v) => v / sum));
})();

/** Separable "valid" filtering with the Gaussian: (w - 10) x (h - 10) values. */
function filterValid(src: Float64Array, width: number, height: number): Float64Array {
  const k = SSIM_GAUSSIAN;
  const n = k.length;
  const ow = width - n + 1;
  const oh = height - n + 1;
  const rows = new Float64Array(ow * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += (k[t] as number) * (src[row + x + t] as number);
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += (k[t] as number) * (rows[(y + t) * ow + x] as number);
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** SSIM of two planes in 0..255 (each side at least 11 pixels). */
export function ssim(a: Plane, b: Plane): number {
  sameSize(a, b);
  const { width, height } = a;
  if (width < 11 || height < 11) {
    throw new RangeError(
      `SSIM needs images of at least 11x11 pixels (after cropping), got ${width}x${height}`,
    );
  }
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  const n = a.data.length;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a.data[i] as number;
    const y = b.data[i] as number;
    aa[i] = x * x;
    bb[i] = y * y;
    ab[i] = x * y;
  }
  const mu1 = filterValid(a.data, width, height);
  const mu2 = filterValid(b.data, width, height);
  const s11 = filterValid(aa, width, height);
  const s22 = filterValid(bb, width, height);
  const s12 = filterValid(ab, width, height);
  let sum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i] as number;
    const m2 = mu2[i] as number;
    const v1 = (s11[i] as number) - m1 * m1;
    const v2 = (s22[i] as number) - m2 * m2;
    const cov = (s12[i] as number) - m1 * m2;
    sum += ((2 * m1 * m2 + c1) * (2 * cov + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2));
  }
  return sum / mu1.length;
}

export interface ImageQuality {
  psnr: number;
  ssim: number;
}

/**
 * PSNR and SSIM on Y with `crop` border pixels cut, as the SR papers report them (two gray
 * images: on their gray values).
 */
export function imageQuality(restored: Pixels, reference: Pixels, crop: number): ImageQuality {
  const mixed = restored.channels >= 3 || reference.channels >= 3;
  const a = cropPlane(lumaPlane(restored, mixed), crop);
  const b = cropPlane(lumaPlane(reference, mixed), crop);
  return { psnr: psnr(a, b), ssim: ssim(a, b) };
}
