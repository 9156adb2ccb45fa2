import sharp, { type Metadata } from "sharp";
import { decodeBmp, readBmpHeader } from "./bmp";
import { ACCEPTED_FORMATS_TEXT, ImageError } from "./errors";
import { checkExtension, detectFormat, type ImageFormat } from "./format";
import { profileFits } from "./metadata";
import type { RawImage } from "./types";

/** Default pixel cap (width x height) when the caller does not pass one: 100 megapixels. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Largest accepted width x height, checked from the header before decoding. */
  maxPixels?: number;
  /** When given, its extension must match the content (magic bytes). */
  fileName?: string;
  /**
   * Keep the pixels in the colour space of the input's ICC profile (RGB or gray profiles) and
   * return the profile, instead of converting them to sRGB (the default).
   */
  keepProfile?: boolean;
}

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  /** Channels after decoding: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  depth: 8 | 16;
  hasAlpha: boolean;
}

export interface DecodedImage extends RawImage {
  format: ImageFormat;
  hasAlpha: boolean;
  /** The input's ICC profile, when `keepProfile` kept the pixels in its colour space. */
  icc?: Buffer;
}

function tooLarge(width: number, height: number, maxPixels: number): ImageError {
  return new ImageError(
    "too_many_pixels",
    `image is ${width}x${height} = ${width * height} pixels; the limit is ${maxPixels} pixels`,
  );
}

function corrupt(format: ImageFormat, err: unknown, stage: "header" | "pixels"): ImageError {
  const detail = err instanceof Error ? err.message : String(err);
  return new ImageError(
    "corrupt",
    stage === "header"
      ? `cannot read the ${format.toUpperCase()} header (${detail}); the file is corrupt or not a ${format.toUpperCase()}`
      : `the ${format.toUpperCase()} pixel data is truncated or corrupt (${detail})`,
  );
}

function sniff(bytes: Uint8Array, options: DecodeOptions): ImageFormat {
  if (bytes.length === 0) throw new ImageError("empty", "the file is empty");
  const format = detectFormat(bytes);
  if (!format) {
    throw new ImageError(
      "unsupported_format",
      `the content is not a supported image (unknown signature); accepted: ${ACCEPTED_FORMATS_TEXT}`,
    );
  }
  if (options.fileName !== undefined) checkExtension(options.fileName, format);
  return format;
}

/** Size from the fixed-position header fields, before any library parses the file. */
function declaredSize(
  bytes: Uint8Array,
  format: ImageFormat,
): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === "png" && bytes.length >= 24) {
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (format === "gif" && bytes.length >= 10) {
    return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  }
  return null;
}

/** Reads only the header: format, size, channels, depth; enforces the pixel limit. */
export async function probeImage(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): Promise<ImageInfo> {
  const format = sniff(bytes, options);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (format === "bmp") {
    const h = readBmpHeader(bytes);
    if (h.width * h.height > maxPixels) throw tooLarge(h.width, h.height, maxPixels);
    return { format, width: h.width, height: h.height, channels: 3, depth: 8, hasAlpha: false };
  }
  const declared = declaredSize(bytes, format);
  if (declared && declared.width * declared.height > maxPixels) {
    throw tooLarge(declared.width, declared.height, maxPixels);
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { pages: 1, limitInputPixels: false }).metadata();
  } catch (err) {
    throw corrupt(format, err, "header");
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw corrupt(format, new Error("no size in header"), "header");
  if (width * height > maxPixels) throw tooLarge(width, height, maxPixels);
  const depth = meta.depth === "ushort" || (meta.bitsPerSample ?? 8) > 8 ? 16 : 8;
  const gray = !meta.isPalette && (meta.space === "b-w" || meta.space === "grey16");
  const hasAlpha = meta.hasAlpha ?? false;
  const channels = ((gray ? 1 : 3) + (hasAlpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  const rotated = (meta.orientation ?? 1) >= 5;
  return {
    format,
    width: rotated ? height : width,
    height: rotated ? width : height,
    channels,
    depth,
    hasAlpha,
  };
}

/**
 * Decodes to interleaved pixels: EXIF orientation applied, first frame only, 16-bit kept,
 * gray kept gray, alpha kept, CMYK/palette converted to sRGB.
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  const info = await probeImage(bytes, options);
  if (info.format === "bmp") {
    return { ...decodeBmp(bytes, readBmpHeader(bytes)), format: "bmp", hasAlpha: false };
  }
  const gray = info.channels <= 2;
  // libvips' "b-w" output drops alpha, so 8-bit gray+alpha goes through grey16 (x257, exact).
  const via16 = info.depth === 16 || info.channels === 2;
  const space = gray ? (via16 ? "grey16" : "b-w") : info.depth === 16 ? "rgb16" : "srgb";
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  // A profile the pixels can stay in is kept (no transform); any other (CMYK, or one that does
  // not match the channels) is converted to sRGB as before.
  let icc: Buffer | undefined;
  let hasProfile = false;
  // The profile matters only to keep it, or for a 16-bit colour image (see below).
  if (info.format !== "gif" && (options.keepProfile || (info.depth === 16 && !gray))) {
    const found = (await sharp(bytes, { pages: 1, limitInputPixels: false }).metadata()).icc;
    hasProfile = found !== undefined;
    if (found && options.keepProfile && profileFits(found, info.channels)) icc = found;
  }
  try {
    let pipeline = sharp(bytes, {
      pages: 1,
      limitInputPixels: maxPixels,
      failOn: "error",
      ...(icc ? { ignoreIcc: true } : {}),
    }).autoOrient();
    // libvips converts 16-bit RGB with a profile to P3 for processing, not sRGB: the transform
    // to sRGB is asked for explicitly (8-bit inputs are converted to sRGB already).
    if (!icc && hasProfile && info.depth === 16 && !gray) {
      pipeline = pipeline.withIccProfile("srgb", { attach: false });
    }
    const { data, info: out } = await pipeline
      .toColourspace(space)
      .raw({ depth: via16 ? "ushort" : "uchar" })
      .toBuffer({ resolveWithObject: true });
    let pixels: Uint8Array | Uint16Array = via16
      ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (via16 && info.depth === 8) {
      const wide = pixels;
      pixels = new Uint8Array(wide.length);
      for (let i = 0; i < wide.length; i++) pixels[i] = (wide[i] as number) >> 8;
    }
    return {
      width: out.width,
      height: out.height,
      channels: out.channels,
      depth: info.depth,
      data: pixels,
      format: info.format,
      hasAlpha: out.channels === 2 || out.channels === 4,
      ...(icc ? { icc } : {}),
    };
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      throw tooLarge(info.width, info.height, maxPixels);
    }
    throw corrupt(info.format, err, "pixels");
  }
}

/**
 * Proves every pixel decodes (a truncated or corrupt body fails) without holding the full
 * image: libvips streams the decode into a small shrink, so memory stays bounded however large
 * the image is. Upload checks use this; the pipelines use `decodeImage`.
 */
export async function verifyImageDecodes(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): Promise<ImageInfo> {
  const info = await probeImage(bytes, options);
  if (info.format === "bmp") {
    decodeBmp(bytes, readBmpHeader(bytes));
    return info;
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  try {
    await sharp(bytes, {
      pages: 1,
      limitInputPixels: maxPixels,
      failOn: "error",
      sequentialRead: true,
    })
      .resize(64, 64, { fit: "inside" })
      .raw()
      .toBuffer();
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      throw tooLarge(info.width, info.height, maxPixels);
    }
    throw corrupt(info.format, err, "pixels");
  }
  return info;
}
