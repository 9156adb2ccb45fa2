/**
 * A plain TypeScript re-implementation of the PyTorch layers the architectures use, written
 * straight from the PyTorch definitions (no folding, no ONNX) so that tests can compare the
 * built graphs against an independent computation. Tensors are single images [C, H, W].
 */
export interface Image {
  c: number;
  h: number;
  w: number;
  data: Float64Array;
}

export function image(c: number, h: number, w: number, data?: ArrayLike<number>): Image {
  return { c, h, w, data: data ? Float64Array.from(data) : new Float64Array(c * h * w) };
}

const at = (t: Image, c: number, y: number, x: number) => t.data[(c * t.h + y) * t.w + x] as number;

/** nn.Conv2d with stride 1 and zero padding. weight [out, in, k, k]. */
export function conv2d(
  x: Image,
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  outC: number,
  k: number,
  pad: number,
): Image {
  const h = x.h + 2 * pad - k + 1;
  const w = x.w + 2 * pad - k + 1;
  const out = image(outC, h, w);
  for (let o = 0; o < outC; o++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let sum = bias ? (bias[o] as number) : 0;
        for (let i = 0; i < x.c; i++) {
          for (let ky = 0; ky < k; ky++) {
            const sy = y + ky - pad;
            if (sy < 0 || sy >= x.h) continue;
            for (let kx = 0; kx < k; kx++) {
              const sx = xx + kx - pad;
              if (sx < 0 || sx >= x.w) continue;
              sum += (weight[((o * x.c + i) * k + ky) * k + kx] as number) * at(x, i, sy, sx);
            }
          }
        }
        out.data[(o * h + y) * w + xx] = sum;
      }
    }
  }
  return out;
}

/** nn.BatchNorm2d in eval mode. */
export function batchNorm(
  x: Image,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  eps = 1e-5,
): Image {
  const out = image(x.c, x.h, x.w);
  const plane = x.h * x.w;
  for (let c = 0; c < x.c; c++) {
    const scale = (gamma[c] as number) / Math.sqrt((variance[c] as number) + eps);
    for (let i = 0; i < plane; i++) {
      out.data[c * plane + i] =
        ((x.data[c * plane + i] as number) - (mean[c] as number)) * scale + (beta[c] as number);
    }
  }
  return out;
}

export function map(x: Image, f: (v: number, c: number) => number): Image {
  const out = image(x.c, x.h, x.w);
  const plane = x.h * x.w;
  for (let i = 0; i < x.data.length; i++)
    out.data[i] = f(x.data[i] as number, Math.floor(i / plane));
  return out;
}

export const relu = (x: Image) => map(x, (v) => Math.max(0, v));
export const leakyRelu = (x: Image, slope = 0.2) => map(x, (v) => (v >= 0 ? v : v * slope));
export const prelu = (x: Image, slopes: ArrayLike<number>) =>
  map(x, (v, c) => (v >= 0 ? v : v * (slopes[c] as number)));

export function add(a: Image, b: Image, scaleA = 1): Image {
  const out = image(a.c, a.h, a.w);
  for (let i = 0; i < a.data.length; i++)
    out.data[i] = (a.data[i] as number) * scaleA + (b.data[i] as number);
  return out;
}

/** nn.MaxPool2d(2). */
export function maxPool2(x: Image): Image {
  const out = image(x.c, Math.floor(x.h / 2), Math.floor(x.w / 2));
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < out.h; y++)
      for (let xx = 0; xx < out.w; xx++) {
        out.data[(c * out.h + y) * out.w + xx] = Math.max(
          at(x, c, 2 * y, 2 * xx),
          at(x, c, 2 * y, 2 * xx + 1),
          at(x, c, 2 * y + 1, 2 * xx),
          at(x, c, 2 * y + 1, 2 * xx + 1),
        );
      }
  return out;
}

/** nn.ConvTranspose2d(in, out, 2, stride=2): weight [in, out, 2, 2]. */
export function convTranspose2x2(
  x: Image,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  outC: number,
): Image {
  const out = image(outC, x.h * 2, x.w * 2);
  for (let o = 0; o < outC; o++)
    for (let y = 0; y < out.h; y++)
      for (let xx = 0; xx < out.w; xx++) {
        const sy = y >> 1;
        const sx = xx >> 1;
        let sum = bias[o] as number;
        for (let i = 0; i < x.c; i++)
          sum +=
            (weight[((i * outC + o) * 2 + (y & 1)) * 2 + (xx & 1)] as number) * at(x, i, sy, sx);
        out.data[(o * out.h + y) * out.w + xx] = sum;
      }
  return out;
}

/** torch.cat([a, b], dim=1). */
export function concat(...parts: Image[]): Image {
  const first = parts[0] as Image;
  const out = image(
    parts.reduce((s, p) => s + p.c, 0),
    first.h,
    first.w,
  );
  let offset = 0;
  for (const p of parts) {
    out.data.set(p.data, offset);
    offset += p.data.length;
  }
  return out;
}

/** nn.PixelShuffle(r): out[c, y*r+i, x*r+j] = in[c*r*r + i*r + j, y, x]. */
export function pixelShuffle(x: Image, r: number): Image {
  const c = x.c / (r * r);
  const out = image(c, x.h * r, x.w * r);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < out.h; y++)
      for (let xx = 0; xx < out.w; xx++) {
        out.data[(ch * out.h + y) * out.w + xx] = at(
          x,
          ch * r * r + (y % r) * r + (xx % r),
          Math.floor(y / r),
          Math.floor(xx / r),
        );
      }
  return out;
}

/** F.interpolate(scale_factor=s, mode="nearest"): src = floor(dst / s). */
export function upsampleNearest(x: Image, s: number): Image {
  const out = image(x.c, x.h * s, x.w * s);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < out.h; y++)
      for (let xx = 0; xx < out.w; xx++)
        out.data[(c * out.h + y) * out.w + xx] = at(x, c, Math.floor(y / s), Math.floor(xx / s));
  return out;
}
