import sharp from "sharp";
import { allocPixels, type RawImage } from "../image/types";
import type { Rect } from "../tensor/index";

/** One channel of an interleaved image, cropped to `rect` (which lies inside the image). */
export function extractChannel(img: RawImage, channel: number, rect: Rect): RawImage {
  const out =
    img.depth === 16
      ? new Uint16Array(rect.width * rect.height)
      : new Uint8Array(rect.width * rect.height);
  const c = img.channels;
  for (let y = 0; y < rect.height; y++) {
    let s = ((rect.y + y) * img.width + rect.x) * c + channel;
    let d = y * rect.width;
    for (let x = 0; x < rect.width; x++, s += c, d++) out[d] = img.data[s] as number;
  }
  return { width: rect.width, height: rect.height, channels: 1, depth: img.depth, data: out };
}

/** Alpha upscaled on its own with Lanczos-3 to exactly scale x the size. */
export async function upscaleAlpha(alpha: RawImage, scale: number): Promise<RawImage> {
  const wide = alpha.depth === 16;
  let s = sharp(alpha.data, { raw: { width: alpha.width, height: alpha.height, channels: 1 } });
  if (wide) s = s.toColourspace("grey16");
  const { data } = await s
    .resize(alpha.width * scale, alpha.height * scale, { fit: "fill", kernel: "lanczos3" })
    .toColourspace(wide ? "grey16" : "b-w")
    .raw({ depth: wide ? "ushort" : "uchar" })
    .toBuffer({ resolveWithObject: true });
  const pixels = wide
    ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return {
    width: alpha.width * scale,
    height: alpha.height * scale,
    channels: 1,
    depth: alpha.depth,
    data: pixels,
  };
}

/** Crops an interleaved image (rect inside it). */
export function cropImage(img: RawImage, rect: Rect): RawImage {
  if (rect.x === 0 && rect.y === 0 && rect.width === img.width && rect.height === img.height)
    return img;
  const out = {
    ...img,
    width: rect.width,
    height: rect.height,
    data: allocPixels(img.depth, rect.width * rect.height * img.channels),
  };
  copyCropRows(img, rect, out, 0, rect.height);
  return out;
}

/** Rows [y0, y1) of crop `rect` of `img` into `out`, an image of the crop's size. */
export function copyCropRows(img: RawImage, rect: Rect, out: RawImage, y0: number, y1: number) {
  const c = img.channels;
  for (let y = y0; y < y1; y++) {
    const s = ((rect.y + y) * img.width + rect.x) * c;
    out.data.set(img.data.subarray(s, s + rect.width * c), y * rect.width * c);
  }
}

/** Colour/gray pixels plus a separate alpha plane -> interleaved with alpha last. */
export function withAlpha(color: RawImage, alpha: RawImage): RawImage {
  const c = color.channels;
  const n = color.width * color.height;
  const out = color.depth === 16 ? new Uint16Array(n * (c + 1)) : new Uint8Array(n * (c + 1));
  for (let i = 0, s = 0, d = 0; i < n; i++) {
    for (let k = 0; k < c; k++) out[d++] = color.data[s++] as number;
    out[d++] = alpha.data[i] as number;
  }
  return { ...color, channels: (c + 1) as 2 | 4, data: out };
}
