// Display renditions of uploaded images and of task results: originals are kept byte for byte
// (16-bit, TIFF, tens of MB) and results can be tens of MB (super-resolution), which browsers
// display slowly or not at all. A rendition is an 8-bit sRGB WebP made on first request and
// cached under DATA_DIR/renditions/<teamId>/ (see renditionPath and resultRenditionPath). This
// side keeps the cache (names, lookups, ETags); the inference service makes the pixels
// (POST /v1/renditions) and writes the file where the cache expects it.
import { stat, utimes } from "node:fs/promises";
import {
  IMAGE_RENDITIONS,
  type ImageRendition,
  RENDITION_SIDES,
  RENDITION_VERSION,
} from "@studio/contracts/inference/rendition";
import {
  InferenceRequestError,
  InferenceUnavailableError,
} from "@studio/contracts/inference-client";
import { env } from "../env";
import { AppError, inferenceError, notFound } from "../errors";
import type { InferenceClient } from "../inference";
import { resolveDataPath } from "./files";

export { IMAGE_RENDITIONS, type ImageRendition, RENDITION_SIDES, RENDITION_VERSION };

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
 * The absolute path of the cached rendition, asked of the inference service first when missing.
 * `generated` says whether this call had it made (or waited for the call that did).
 */
export async function ensureRendition(
  inference: InferenceClient,
  image: RenditionSource,
  rendition: ImageRendition,
  relative: string,
): Promise<{ path: string; generated: boolean }> {
  const target = resolveDataPath(relative);
  if (await markUsed(target)) return { path: target, generated: false };
  let pending = inFlight.get(target);
  if (!pending) {
    pending = render(inference, image, rendition, relative).finally(() => inFlight.delete(target));
    inFlight.set(target, pending);
  }
  return { path: target, generated: await pending };
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

/** Has the service write the rendition to `relative`; true when it made a new file. */
async function render(
  inference: InferenceClient,
  image: RenditionSource,
  rendition: ImageRendition,
  relative: string,
): Promise<boolean> {
  const source =
    image.kind === "upload"
      ? {
          kind: image.kind,
          path: image.storagePath,
          format: image.format,
          bitDepth: image.bitDepth,
          channels: image.channels,
        }
      : { kind: image.kind, path: image.storagePath };
  let answer: Awaited<ReturnType<InferenceClient["makeRendition"]>>;
  try {
    answer = await inference.makeRendition({
      source,
      rendition,
      target: relative,
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
