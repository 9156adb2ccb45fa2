// Display renditions of uploaded images and of task results: originals are kept byte for byte
// (16-bit, TIFF, tens of MB) and results can be tens of MB (super-resolution), which browsers
// display slowly or not at all. A rendition is an 8-bit sRGB WebP made on first request and
// cached under DATA_DIR/renditions/<teamId>/ (see renditionPath and resultRenditionPath).
import { mkdir, readFile, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { decodeImage, ImageError, type RawImage, sharpFromRaw } from "@studio/core/image";
import sharp, { type Sharp } from "sharp";
import { createSemaphore } from "../auth/rate-limit";
import { env } from "../env";
import {
  fileSize,
  moveIntoPlace,
  randomName,
  removeQuietly,
  resolveDataPath,
  UploadError,
} from "./storage";

const MARK_USED_EVERY_MS = 60 * 60 * 1000;

/** Longest side of each rendition, in pixels; smaller images are never enlarged. */
export const RENDITION_SIDES = { thumb: 256, display: 2048 } as const;
export type ImageRendition = keyof typeof RENDITION_SIDES;
export const IMAGE_RENDITIONS = Object.keys(RENDITION_SIDES) as [
  ImageRendition,
  ...ImageRendition[],
];

// The display rendition sits beside model output in before/after views, so it keeps more detail.
const WEBP_QUALITY: Record<ImageRendition, number> = { thumb: 80, display: 90 };
/**
 * Part of every rendition's file name and ETag: bump it when sizes, quality or the conversion
 * change, and browsers and the cache fetch new copies (old files go with the cleanup job).
 */
export const RENDITION_VERSION = 1;

/** A pathological file must not hold a generation slot forever. */
const RENDER_TIMEOUT_SECONDS = 60;

/**
 * A gallery page asks for dozens of thumbnails at once; each generation decodes a whole
 * original. Two at a time keeps a burst from taking every core and hundreds of MB of pixels.
 */
export const MAX_CONCURRENT_RENDITIONS = 2;
const renderSlots = createSemaphore(MAX_CONCURRENT_RENDITIONS);
/** Generations running now (for tests). */
export const runningRenditions = () => renderSlots.running;

/** Concurrent first requests for the same rendition share one generation. */
const inFlight = new Map<string, Promise<void>>();
let generations = 0;
/** Renditions made since start (for tests). */
export const renditionsMade = () => generations;

export type RenditionSource =
  | {
      kind: "upload";
      storagePath: string;
      format: string;
      bitDepth: number;
      channels: number;
    }
  | {
      /**
       * A PNG the worker wrote: full range already (a probability map must keep its values, so
       * it is not stretched), and within what the worker held in memory, so the upload pixel
       * limit (which a 4x super-resolution exceeds) does not apply.
       */
      kind: "result";
      storagePath: string;
    };

const SAFE_ID = /^[A-Za-z0-9_-]+$/;

function assertSafe(...ids: string[]) {
  if (!ids.every((id) => SAFE_ID.test(id))) throw new Error("id is not usable in a file name");
}

/** Where an image's rendition is cached, relative to DATA_DIR. */
export function renditionPath(
  image: { id: string; teamId: string },
  rendition: ImageRendition,
): string {
  assertSafe(image.id, image.teamId);
  return `renditions/${image.teamId}/${image.id}-${rendition}.v${RENDITION_VERSION}.webp`;
}

/** Every cached rendition an image may have, for deleting them with the image. */
export function renditionPaths(image: { id: string; teamId: string }): string[] {
  return IMAGE_RENDITIONS.map((rendition) => renditionPath(image, rendition));
}

/** The folder of a task's cached result renditions, relative to DATA_DIR: removed with the task. */
export function resultRenditionsDir(task: { id: string; teamId: string }): string {
  assertSafe(task.id, task.teamId);
  return `renditions/${task.teamId}/results/${task.id}`;
}

/**
 * Where a result's rendition is cached, relative to DATA_DIR. Result files are never rewritten
 * in place, so item id and variant (the result metadata key) name the bytes for good.
 */
export function resultRenditionPath(
  result: { teamId: string; taskId: string; itemId: string; variant?: string },
  rendition: ImageRendition,
): string {
  const variant = result.variant ?? "main";
  assertSafe(result.itemId, variant);
  const dir = resultRenditionsDir({ id: result.taskId, teamId: result.teamId });
  return `${dir}/${result.itemId}-${variant}-${rendition}.v${RENDITION_VERSION}.webp`;
}

/**
 * The absolute path of the cached rendition, made first when missing. `generated` says whether
 * this call made it (or waited for the call that did).
 */
export async function ensureRendition(
  image: RenditionSource,
  rendition: ImageRendition,
  relative: string,
): Promise<{ path: string; generated: boolean }> {
  const target = resolveDataPath(relative);
  if (await markUsed(target)) return { path: target, generated: false };
  let pending = inFlight.get(target);
  if (!pending) {
    pending = renderSlots
      .run(() => render(image, rendition, relative))
      .finally(() => inFlight.delete(target));
    inFlight.set(target, pending);
  }
  await pending;
  return { path: target, generated: true };
}

/**
 * Whether the rendition exists. A hit moves its modification time forward (at most hourly):
 * the cleanup job removes renditions unused for CLEANUP_MAX_AGE_MS, and read times are not
 * recorded on every file system.
 */
async function markUsed(target: string): Promise<boolean> {
  const info = await stat(target).catch(() => undefined);
  if (!info?.isFile()) return false;
  if (Date.now() - info.mtimeMs > MARK_USED_EVERY_MS) {
    const now = new Date();
    await utimes(target, now, now).catch(() => {});
  }
  return true;
}

async function render(image: RenditionSource, rendition: ImageRendition, relative: string) {
  // Another process sharing DATA_DIR may have made it while this one waited for a slot.
  if ((await fileSize(resolveDataPath(relative))) !== null) return;
  const source = resolveDataPath(image.storagePath);
  const missing = new UploadError(404, "not_found", "The file is missing.");
  if ((await fileSize(source)) === null) throw missing;
  const side = RENDITION_SIDES[rendition];
  // Under tmp/ so that a crash mid-write leaves a file the cleanup job removes.
  const tmp = resolveDataPath(path.join("tmp", `${randomName()}.webp`));
  try {
    await mkdir(path.dirname(tmp), { recursive: true });
    const pixels = await orientedPixels(image, source, side);
    await pixels
      .resize(side, side, { fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb")
      .webp({ quality: WEBP_QUALITY[rendition] })
      .timeout({ seconds: RENDER_TIMEOUT_SECONDS })
      .toFile(tmp);
    // A rename on the same file system: readers see no file or the whole file, never a part.
    await moveIntoPlace(tmp, relative);
    generations++;
  } catch (error) {
    await removeQuietly(tmp);
    // The image was deleted while it was being read.
    if ((await fileSize(source)) === null) throw missing;
    throw renditionError(error);
  }
}

/** The image upright, first frame only, at most `side` pixels when it had to be decoded here. */
async function orientedPixels(image: RenditionSource, source: string, side: number) {
  if (image.kind === "result") {
    return sharp(source, { pages: 1, failOn: "error", sequentialRead: true });
  }
  const maxPixels = env().MAX_IMAGE_PIXELS;
  // libvips in sharp's prebuilt binaries has no BMP loader; BMPs are uncompressed, so their
  // pixels are no larger than the upload size limit.
  if (image.format === "bmp") {
    return sharpFromRaw(await decodeImage(await readFile(source), { maxPixels }));
  }
  const input: Sharp = sharp(source, {
    pages: 1,
    limitInputPixels: maxPixels,
    failOn: "error",
    sequentialRead: true,
  }).autoOrient();
  if (image.bitDepth <= 8) return input;
  const gray = image.channels <= 2;
  const { data, info } = await input
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

function renditionError(error: unknown): unknown {
  if (error instanceof UploadError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (
    (error instanceof ImageError && error.code === "too_many_pixels") ||
    /pixel limit/i.test(message)
  ) {
    return new UploadError(
      422,
      "too_many_pixels",
      `The image has more pixels than the limit of ${env().MAX_IMAGE_PIXELS}; download the original instead.`,
    );
  }
  console.error("image rendition failed", error);
  return new UploadError(
    422,
    "not_renderable",
    "The image could not be converted for display; download the original instead.",
  );
}
