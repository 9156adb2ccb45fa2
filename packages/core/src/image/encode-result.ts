// A super-resolution result in the task's output format, carrying what it inherits (the input's
// colour profile, camera EXIF) and its provenance: PNG through the project's own writer and
// chunks (iCCP, eXIf, iTXt), every other format through sharp (libvips), which writes the ICC
// profile, EXIF and XMP packet into each container.
import zlib from "node:zlib";
import {
  OUTPUT_FORMAT_FILES,
  type OutputFormat,
  type OutputSettings,
} from "@studio/contracts/task";
import sharp, { type Sharp } from "sharp";
import { encodePng, sharpFromRaw } from "./encode";
import type { ExifTags } from "./metadata";
import { itxtChunk, pngChunk, withPngChunks } from "./provenance";
import { PROVENANCE_KEYWORD, type ResultProvenance } from "./provenance-read";
import type { RawImage } from "./types";
import { provenanceXmp } from "./xmp";

export interface ResultExtras {
  /** The input's ICC profile, when the pixels are still in its colour space. */
  icc?: Buffer | null;
  exif?: ExifTags | null;
  provenance?: ResultProvenance;
}

type Encoding = Pick<OutputSettings, "format" | "quality" | "background">;

/** iCCP: profile name, NUL, method 0 (deflate), the zlib-compressed profile. */
function iccpChunk(icc: Buffer): Buffer {
  return pngChunk(
    "iCCP",
    Buffer.concat([Buffer.from("ICC profile\0\0", "latin1"), zlib.deflateSync(icc)]),
  );
}

/**
 * The TIFF-structured EXIF block (what a PNG eXIf chunk holds) for `tags`, written by libvips:
 * it encodes a 1x1 JPEG with the tags and hands the block back. libvips records that image's
 * size in PixelX/YDimension, so those two are set to the result's size here.
 */
async function exifBlock(tags: ExifTags, width: number, height: number): Promise<Buffer | null> {
  const jpeg = await sharp({ create: { width: 1, height: 1, channels: 3, background: "#000" } })
    .withExif(tags)
    .jpeg()
    .toBuffer();
  const exif = (await sharp(jpeg).metadata()).exif;
  if (!exif) return null;
  // sharp's block starts with the JPEG APP1 identifier "Exif\0\0"; PNG's eXIf chunk does not.
  const tiff = Buffer.from(
    exif.subarray(exif.subarray(0, 6).toString("latin1") === "Exif\0\0" ? 6 : 0),
  );
  setPixelDimensions(tiff, width, height);
  return tiff;
}

/** Overwrites PixelXDimension/PixelYDimension (Exif IFD tags 0xA002/0xA003) in place. */
function setPixelDimensions(tiff: Buffer, width: number, height: number): void {
  const le = tiff.toString("latin1", 0, 2) === "II";
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const entries = (ifd: number) =>
    Array.from(
      { length: ifd + 2 <= tiff.length ? u16(ifd) : 0 },
      (_, i) => ifd + 2 + i * 12,
    ).filter((at) => at + 12 <= tiff.length);
  const exifIfd = entries(u32(4)).find((at) => u16(at) === 0x8769);
  if (exifIfd === undefined) return;
  for (const at of entries(u32(exifIfd + 8))) {
    const tag = u16(at);
    if (tag !== 0xa002 && tag !== 0xa003) continue;
    const value = tag === 0xa002 ? width : height;
    const type = u16(at + 2);
    if (type === 4) le ? tiff.writeUInt32LE(value, at + 8) : tiff.writeUInt32BE(value, at + 8);
    else if (type === 3 && value <= 0xffff)
      le ? tiff.writeUInt16LE(value, at + 8) : tiff.writeUInt16BE(value, at + 8);
  }
}

/** Pixels as sharp input; with a profile to keep, through a stored (level 0) PNG that holds it. */
async function pixelsFor(image: RawImage, icc: Buffer | null | undefined): Promise<Sharp> {
  if (!icc) return sharpFromRaw(image);
  // sharp attaches a profile to raw pixels only by converting them into it; an input that carries
  // the profile, with keepIccProfile, keeps both the profile and the pixels as they are.
  const png = withPngChunks(await encodePng(image, { compressionLevel: 0 }), [iccpChunk(icc)]);
  return sharp(png, { limitInputPixels: false }).keepIccProfile();
}

function encoder(s: Sharp, image: RawImage, encoding: Encoding): Sharp {
  const gray = image.channels <= 2;
  const eight = (x: Sharp) => (image.depth === 16 ? x.toColourspace(gray ? "b-w" : "srgb") : x);
  switch (encoding.format) {
    case "webp_lossless":
      return eight(s).webp({ lossless: true });
    case "webp":
      return eight(s).webp({ quality: encoding.quality });
    case "avif":
      return eight(s).avif({ quality: encoding.quality });
    case "jpeg": {
      const flat = image.channels % 2 === 0 ? s.flatten({ background: encoding.background }) : s;
      return eight(flat).jpeg({ quality: encoding.quality });
    }
    case "tiff":
      // sharp's TIFF default is JPEG compression: a lossless result needs deflate.
      return s.tiff({ compression: "deflate", predictor: "horizontal" });
    case "png":
      throw new Error("PNG results are written by encodeResult's own path");
  }
}

/**
 * The result file's bytes. `png`, when given, is the image already encoded as PNG (the pipeline
 * streams it while tuning) and is used as it is.
 */
export async function encodeResult(
  image: RawImage,
  encoding: Encoding,
  extras: ResultExtras = {},
  png?: Buffer,
): Promise<Buffer> {
  const { icc, exif, provenance } = extras;
  if (encoding.format === "png") {
    const chunks: Buffer[] = [];
    if (icc) chunks.push(iccpChunk(icc));
    const block = exif ? await exifBlock(exif, image.width, image.height) : null;
    if (block) chunks.push(pngChunk("eXIf", block));
    if (provenance) chunks.push(itxtChunk(PROVENANCE_KEYWORD, JSON.stringify(provenance)));
    const bytes = png && png.length > 0 ? png : await encodePng(image);
    return chunks.length > 0 ? withPngChunks(bytes, chunks) : bytes;
  }
  let s = encoder(await pixelsFor(image, icc), image, encoding);
  // libvips' TIFF writer has no EXIF IFD; the camera fields go into the other formats.
  if (exif && encoding.format !== "tiff") s = s.withExif(exif);
  if (provenance) s = s.withXmp(provenanceXmp(provenance));
  return s.toBuffer();
}

/** Whether `encoding` keeps pixels of `depth` as they are (roundTrip returns them untouched). */
export function keepsPixels(encoding: Encoding, depth: RawImage["depth"]): boolean {
  const file = OUTPUT_FORMAT_FILES[encoding.format];
  return !file.lossy && (file.depth16 || depth === 8);
}

/**
 * What a lossy format does to the pixels: encoded with the task's settings and decoded again
 * (previews show this). Lossless formats return the image as it is, except WebP's 8 bits.
 */
export async function roundTrip(image: RawImage, encoding: Encoding): Promise<RawImage> {
  if (keepsPixels(encoding, image.depth)) return image;
  const bytes = await encoder(sharpFromRaw(image), image, encoding).toBuffer();
  const gray = image.channels <= 2;
  const { data, info } = await sharp(bytes)
    .toColourspace(gray ? "b-w" : "srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels as RawImage["channels"];
  return {
    width: info.width,
    height: info.height,
    channels,
    depth: 8,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export const resultExtension = (format: OutputFormat) => OUTPUT_FORMAT_FILES[format].ext;
