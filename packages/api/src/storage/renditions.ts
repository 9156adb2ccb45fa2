// Renditions of uploaded images and of task results: originals are kept byte for byte (16-bit,
// TIFF, tens of MB) and results can be tens of MB (super-resolution), which browsers display
// slowly or not at all and a PDF cannot hold. A rendition is an 8-bit sRGB WebP for screens
// (thumb, display) or JPEG on white for the PDF report (print), made on first request and
// cached in the blob store under renditions/<teamId>/ (see renditionPath and
// resultRenditionPath), so every web process serves the one copy a node made. This side keeps
// the cache (keys, lookups, ETags); the inference service makes the pixels
// (POST /v1/renditions) and stores the copy under the key it is told.
import { utimes } from "node:fs/promises";
import {
  IMAGE_RENDITIONS,
  type ImageRendition,
  RENDITION_SIDES,
  RENDITION_VERSION,
  RENDITIONS,
  type Rendition,
  renditionFileType,
} from "@studio/contracts/inference/rendition";
import {
  InferenceRequestError,
  InferenceUnavailableError,
} from "@studio/contracts/inference-client";
import { env } from "../env";
import { AppError, inferenceError, notFound } from "../errors";
import type { InferenceClient } from "../inference";
import { blobStore } from "./blobs";

export {
  IMAGE_RENDITIONS,
  type ImageRendition,
  RENDITION_SIDES,
  RENDITION_VERSION,
  RENDITIONS,
  type Rendition,
  renditionFileType,
};

const MARK_USED_EVERY_MS = 60 * 60 * 1000;

/** Concurrent first requests for the same rendition share one call to the service. */
const inFlight = new Map<string, Promise<boolean>>();
let generations = 0;
/** Renditions the service made for this process since start (for tests). */
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

/** The end of a rendition's file name: its version and its format's extension. */
const fileSuffix = (rendition: Rendition) =>
  `${rendition}.v${RENDITION_VERSION}${renditionFileType(rendition).ext}`;

/** Where an image's rendition is cached (its key in the store). */
export function renditionPath(image: { id: string; teamId: string }, rendition: Rendition): string {
  assertSafe(image.id, image.teamId);
  return `renditions/${image.teamId}/${image.id}-${fileSuffix(rendition)}`;
}

/** Every cached rendition an image may have (the report's too), for deleting them with the image. */
export function renditionPaths(image: { id: string; teamId: string }): string[] {
  return RENDITIONS.map((rendition) => renditionPath(image, rendition));
}

/** The folder of a task's cached result renditions (a key prefix, no trailing /): removed with the task. */
export function resultRenditionsDir(task: { id: string; teamId: string }): string {
  assertSafe(task.id, task.teamId);
  return `renditions/${task.teamId}/results/${task.id}`;
}

/**
 * Where a result's rendition is cached (its key). Result files are never rewritten
 * in place, so item id and variant (the result metadata key) name the bytes for good.
 */
export function resultRenditionPath(
  result: { teamId: string; taskId: string; itemId: string; variant?: string },
  rendition: Rendition,
): string {
  const variant = result.variant ?? "main";
  assertSafe(result.itemId, variant);
  const dir = resultRenditionsDir({ id: result.taskId, teamId: result.teamId });
  return `${dir}/${result.itemId}-${variant}-${fileSuffix(rendition)}`;
}

/**
 * Makes sure the rendition is in the store under `key`, asking the inference service to make it
 * when missing. `generated` says whether this call had it made (or waited for the call that did).
 */
export async function ensureRendition(
  inference: InferenceClient,
  image: RenditionSource,
  rendition: Rendition,
  key: string,
): Promise<{ key: string; generated: boolean }> {
  if (await markUsed(key)) return { key, generated: false };
  let pending = inFlight.get(key);
  if (!pending) {
    pending = render(inference, image, rendition, key).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return { key, generated: await pending };
}

/**
 * Whether the rendition exists. With the local store a hit moves the file's modification time
 * forward (at most hourly): the cleanup job removes renditions older than CLEANUP_MAX_AGE_MS by
 * that time, and read times are not recorded on every file system. An S3 object's time cannot
 * be moved without rewriting it, so there a rendition goes that long after it was made and is
 * made again on its next request.
 */
async function markUsed(key: string): Promise<boolean> {
  const store = blobStore();
  const info = await store.head(key);
  if (!info) return false;
  const file = store.localPath(key);
  if (file && Date.now() - info.lastModified.getTime() > MARK_USED_EVERY_MS) {
    const now = new Date();
    await utimes(file, now, now).catch(() => {});
  }
  return true;
}

/** Has the service store the rendition under `key`; true when it made a new one. */
async function render(
  inference: InferenceClient,
  image: RenditionSource,
  rendition: Rendition,
  key: string,
): Promise<boolean> {
  const source =
    image.kind === "upload"
      ? {
          kind: image.kind,
          key: image.storagePath,
          format: image.format,
          bitDepth: image.bitDepth,
          channels: image.channels,
        }
      : { kind: image.kind, key: image.storagePath };
  let answer: Awaited<ReturnType<InferenceClient["makeRendition"]>>;
  try {
    answer = await inference.makeRendition({
      source,
      rendition,
      target: key,
      ...(image.kind === "upload" ? { maxPixels: env().MAX_IMAGE_PIXELS } : {}),
    });
  } catch (error) {
    throw renditionError(error);
  }
  if (!answer.ok) throw new AppError(answer.code, answer.message);
  if (answer.generated) generations++;
  return answer.generated;
}

function renditionError(error: unknown): unknown {
  if (error instanceof InferenceUnavailableError) {
    return new AppError(
      "inference_unavailable",
      "Display copies are made by the inference service, which is unavailable right now; try again shortly or download the original.",
      { cause: error },
    );
  }
  // The source file is gone (deleted meanwhile, or lost on disk).
  if (error instanceof InferenceRequestError && error.status === 404) {
    return notFound("The file is missing.");
  }
  return inferenceError(error);
}
