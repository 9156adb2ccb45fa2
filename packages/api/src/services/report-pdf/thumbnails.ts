// The report's before/after pictures: the `print` rendition of an item's input and result (a
// JPEG within 440 px, flattened on white, sRGB, upright; PDF readers show only JPEG and PNG,
// and results may be WebP, AVIF or 16-bit TIFF). The inference service makes it, as it makes
// every rendition, so this process never decodes an image (no sharp here); the copy is cached in
// the store like the others (storage/renditions.ts), so exporting a report again is quick.
import { isBlobError } from "@studio/blob/errors";
import { AppError } from "../../errors";
import type { InferenceClient } from "../../inference";
import { blobStore } from "../../storage/blobs";
import {
  ensureRendition,
  type RenditionSource,
  renditionPath,
  resultRenditionPath,
} from "../../storage/renditions";

export type ThumbnailSource =
  /** An uploaded original, as recorded at upload. */
  | {
      kind: "upload";
      key: string;
      imageId: string;
      teamId: string;
      format: string;
      bitDepth: number;
      channels: number;
    }
  /** A task item's main result (a file the worker wrote). */
  | { kind: "result"; key: string; teamId: string; taskId: string; itemId: string };

export interface Thumbnail {
  jpeg: Buffer;
}

/**
 * One report's pictures. A report that finds the service unreachable goes on without pictures
 * and stops asking: each call would wait through the client's retries, for every image.
 */
export class ReportPictures {
  private unavailable: boolean;

  /** `inference` null: no service configured, so every picture is "no picture". */
  constructor(private readonly inference: InferenceClient | null) {
    this.unavailable = inference === null;
  }

  /** The picture, or null when there is none to show (the section says so). */
  async of(source: ThumbnailSource): Promise<Thumbnail | null> {
    if (this.unavailable || !this.inference) return null;
    try {
      const { key } = await ensureRendition(
        this.inference,
        renditionSourceOf(source),
        "print",
        cacheKey(source),
      );
      return { jpeg: await readAll(key) };
    } catch (error) {
      // The report is already streaming, so a picture that cannot be had is left out, never
      // fatal: a file deleted meanwhile and a file that is no picture are expected; a service
      // that cannot be reached is said once; anything else is logged.
      if (error instanceof AppError && error.code === "inference_unavailable") {
        // An image's two pictures are asked for together: both may find the service gone.
        if (!this.unavailable) {
          console.warn("report pictures left out: the inference service is unavailable", error);
        }
        this.unavailable = true;
      } else if (!isExpected(error)) {
        console.error("report picture failed", error);
      }
      return null;
    }
  }
}

function renditionSourceOf(source: ThumbnailSource): RenditionSource {
  return source.kind === "upload"
    ? {
        kind: "upload",
        storagePath: source.key,
        format: source.format,
        bitDepth: source.bitDepth,
        channels: source.channels,
      }
    : { kind: "result", storagePath: source.key };
}

function cacheKey(source: ThumbnailSource): string {
  return source.kind === "upload"
    ? renditionPath({ id: source.imageId, teamId: source.teamId }, "print")
    : resultRenditionPath(
        { teamId: source.teamId, taskId: source.taskId, itemId: source.itemId },
        "print",
      );
}

/** Missing, or refused by the service as no picture / too large: the section says "no picture". */
function isExpected(error: unknown): boolean {
  if (isBlobError(error, "not_found")) return true;
  return (
    error instanceof AppError &&
    (error.code === "not_found" ||
      error.code === "not_renderable" ||
      error.code === "too_many_pixels")
  );
}

/** A print copy is tens of kB: read whole, as PDFKit takes a buffer. */
async function readAll(key: string): Promise<Buffer> {
  const { body } = await blobStore().get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
