// Display copies of stored images: originals are kept byte for byte (16-bit, TIFF, tens of MB)
// and results can be tens of MB (super-resolution), which browsers display slowly or not at
// all. A rendition is an 8-bit sRGB WebP within a given side, upright, first frame only; or a
// JPEG flattened on white where only JPEG and PNG are shown (PDF readers).
import { readFile } from "node:fs/promises";
import sharp, { type Sharp } from "sharp";
import { decodeImage } from "./decode";
import { sharpFromRaw } from "./encode";
import type { RawImage } from "./types";

export type RenditionInput =
  | {
      /** An uploaded original, as recorded at upload. */
      kind: "upload";
      format: string;
      bitDepth: number;
      channels: number;
    }
  | {
      /**
       * A PNG the worker wrote: full range already (a probability map must keep its values, so
       * it is not stretched), and within what the worker held in memory, so no pixel limit.
       */
      kind: "result";
    };

export interface RenditionOptions {
  /** Longest side of the copy; smaller images are never enlarged. */
  side: number;
  /** webp keeps alpha; jpeg is flattened on white. */
  format: "webp" | "jpeg";
  /** Quality of the format, 1-100. */
  quality: number;
  /** Largest original accepted, in pixels (uploads only). */
  maxPixels: number;
  /** A pathological file must not hold a worker forever. */
  timeoutSeconds: number;
}

/** Writes the rendition of `sourceFile` to `targetFile` (the caller renames it into place). */
export async function writeRendition(
  sourceFile: string,
  input: RenditionInput,
  targetFile: string,
  options: RenditionOptions,
): Promise<void> {
  const { side } = options;
  const pixels = (await orientedPixels(sourceFile, input, options)).resize(side, side, {
    fit: "inside",
    withoutEnlargement: true,
  });
  const encoded =
    options.format === "jpeg"
      ? pixels
          .flatten({ background: "#ffffff" })
          .toColourspace("srgb")
          .jpeg({ quality: options.quality, mozjpeg: true })
      : pixels.toColourspace("srgb").webp({ quality: options.quality });
  await encoded.timeout({ seconds: options.timeoutSeconds }).toFile(targetFile);
}

/** The image upright, first frame only, at most `side` pixels when it had to be decoded here. */
async function orientedPixels(
  source: string,
  input: RenditionInput,
  { side, maxPixels }: RenditionOptions,
): Promise<Sharp> {
  if (input.kind === "result") {
    return sharp(source, { pages: 1, failOn: "error", sequentialRead: true });
  }
  // libvips in sharp's prebuilt binaries has no BMP loader; BMPs are uncompressed, so their
  // pixels are no larger than the upload size limit.
  if (input.format === "bmp") {
    return sharpFromRaw(await decodeImage(await readFile(source), { maxPixels }));
  }
  const image: Sharp = sharp(source, {
    pages: 1,
    limitInputPixels: maxPixels,
    failOn: "error",
    sequentialRead: true,
  }).autoOrient();
  if (input.bitDepth <= 8) return image;
  const gray = input.channels <= 2;
  const { data, info } = await image
    .resize(side, side, { fit: "inside", withoutEnlargement: true })
    .toColourspace(gray ? "grey16" : "rgb16")
    .raw({ depth: "ushort" })
    .toBuffer({ resolveWithObject: true });
  const samples = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  return sharpFromRaw(
    toFullRange({
      width: info.width,
      height: info.height,
      channels: info.channels as RawImage["channels"],
      depth: 16,
      data: samples,
    }),
  );
}

/**
 * 16-bit files often carry fewer significant bits (a 12-bit sensor, 8-bit data saved as a
 * 16-bit TIFF), which a plain 16-to-8-bit reduction shows as black. Colour samples are scaled
 * by the factor that brings the smallest bit depth holding them to full range, so relative
 * intensities stay exact; alpha is left alone.
 */
export function toFullRange(image: RawImage): RawImage {
  const colourChannels =
    image.channels === 2 || image.channels === 4 ? image.channels - 1 : image.channels;
  const data = image.data;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    if (i % image.channels < colourChannels) max = Math.max(max, data[i] as number);
  }
  const bits = Math.max(8, Math.ceil(Math.log2(max + 1)));
  if (bits >= 16) return image;
  const scale = 65535 / (2 ** bits - 1);
  for (let i = 0; i < data.length; i++) {
    if (i % image.channels < colourChannels) data[i] = Math.round((data[i] as number) * scale);
  }
  return image;
}
