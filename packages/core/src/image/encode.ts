import sharp, { type Sharp } from "sharp";
import type { RawImage } from "./types";

/**
 * Sharp's raw input takes its sample type from the typed array's constructor, so 16-bit data
 * must arrive as a Uint16Array (not a Buffer view) to stay 16-bit.
 */
export function sharpFromRaw(img: RawImage): Sharp {
  const s = sharp(img.data, {
    raw: { width: img.width, height: img.height, channels: img.channels },
  });
  if (img.depth === 16) return s.toColourspace(img.channels <= 2 ? "grey16" : "rgb16");
  return img.channels <= 2 ? s.toColourspace("b-w") : s;
}

export { DEFAULT_PNG_LEVEL, encodePng, type PngOptions, PngWriter } from "./png";

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function toDataUrl(bytes: Uint8Array, mime = "image/png"): string {
  return `data:${mime};base64,${toBase64(bytes)}`;
}
