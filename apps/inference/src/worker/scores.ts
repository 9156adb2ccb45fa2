// Quality scores against references, computed by the worker right after an item's run (from
// the pixels in memory, so nothing is decoded twice) and summed up when the task ends. The
// metrics are core's plain functions (core/metrics); this file finds the references and feeds
// them. A score that cannot be computed never fails the item: its reason is stored instead.
import { readFile } from "node:fs/promises";
import { decodeImage, type RawImage } from "@studio/core/image";
import {
  aggregateScores,
  binaryCounts,
  binaryScores,
  type ClassificationItemScores,
  clDiceFromCounts,
  type ItemScores,
  imageQuality,
  itemScoresSchema,
  type SegmentationItemScores,
  type SuperResolutionItemScores,
  skeletonCounts,
  sweepCounts,
  type TaskScores,
} from "@studio/core/metrics";
import type {
  ClassificationResult,
  PreparedModel,
  SegmentationResult,
  SuperResolutionResult,
} from "@studio/core/pipeline";
import { runSuperResolution } from "@studio/core/pipeline";
import {
  type CocoSegmentation,
  decodeReferenceMask,
  rasterizeCocoSegmentations,
  resizeBicubic,
} from "@studio/core/references";
import { ClassificationParams, type SuperResolutionSpec } from "@studio/core/spec";
import type { Db } from "@studio/db/client";
import type { NodeFiles } from "../node-files";

/**
 * Images compared by PSNR/SSIM above this many pixels are not scored: SSIM holds about ten
 * float64 copies of the image (~350 MB here), and SR test sets are far smaller.
 */
export const MAX_SCORED_PIXELS = 4_000_000;

/** What the dataset knows about an item's image: its class label and its ground truth. */
export interface ItemReference {
  label: string | null;
  /** Blob key of a mask image ("mask") or of the high-resolution image ("high_resolution"). */
  path: string | null;
  kind: "mask" | "coco" | "high_resolution" | null;
  /** COCO segmentations of the image's objects (kind "coco"). */
  segmentations: CocoSegmentation[] | null;
}

/** The reference of a task item's image in the task's dataset, or null (no dataset, nothing known). */
export async function findItemReference(
  db: Db,
  datasetId: string | null,
  imageId: string,
): Promise<ItemReference | null> {
  if (!datasetId) return null;
  const row = await db.datasetImage.findUnique({
    where: { datasetId_imageId: { datasetId, imageId } },
    select: { label: true, referencePath: true, referenceKind: true, annotations: true },
  });
  if (!row) return null;
  const kind =
    row.referenceKind === "mask" ||
    row.referenceKind === "coco" ||
    row.referenceKind === "high_resolution"
      ? row.referenceKind
      : null;
  let segmentations: CocoSegmentation[] | null = null;
  if (kind === "coco" && row.annotations) {
    try {
      const parsed = JSON.parse(row.annotations) as { segmentations?: CocoSegmentation[] };
      segmentations = Array.isArray(parsed.segmentations) ? parsed.segmentations : null;
    } catch {
      segmentations = null;
    }
  }
  if (row.label === null && kind === null) return null;
  return { label: row.label, path: row.referencePath, kind, segmentations };
}

async function readBlob(files: NodeFiles, key: string): Promise<Buffer> {
  const file = await files.acquire(key);
  try {
    return await readFile(file.path);
  } finally {
    file.release();
  }
}

async function referenceMask(
  files: NodeFiles,
  ref: ItemReference,
  width: number,
  height: number,
): Promise<Uint8Array | null> {
  if (ref.kind === "mask" && ref.path) {
    return decodeReferenceMask(await readBlob(files, ref.path), width, height);
  }
  if (ref.kind === "coco" && ref.segmentations) {
    return rasterizeCocoSegmentations(ref.segmentations, width, height);
  }
  return null;
}

export async function scoreSegmentation(
  files: NodeFiles,
  ref: ItemReference | null,
  r: SegmentationResult,
): Promise<SegmentationItemScores | null> {
  if (!ref) return null;
  const reference = await referenceMask(files, ref, r.width, r.height);
  if (!reference) return null;
  const counts = binaryCounts(r.mask.data, reference);
  const skeleton = skeletonCounts(r.mask.data, reference, r.width, r.height);
  return {
    kind: "segmentation",
    threshold: r.threshold,
    counts,
    ...binaryScores(counts),
    clDice: clDiceFromCounts(skeleton),
    skeleton,
    sweep: sweepCounts(r.probability.data, r.probability.depth, reference),
  };
}

function quality(restored: RawImage, reference: RawImage, crop: number) {
  const q = imageQuality(restored, reference, crop);
  const finite = Number.isFinite(q.psnr);
  return {
    psnr: finite ? q.psnr : null,
    ssim: q.ssim,
    mse: finite ? (255 * 255) / 10 ** (q.psnr / 10) : 0,
  };
}

function checkScoredSize(width: number, height: number) {
  if (width * height > MAX_SCORED_PIXELS) {
    throw new RangeError(
      `a ${width}x${height} result is too large to score (up to ${MAX_SCORED_PIXELS.toLocaleString("en")} pixels are compared)`,
    );
  }
}

/**
 * PSNR/SSIM of the model's upscale and of a bicubic upscale against a high-resolution
 * reference: the dataset's (pairs), or the input itself when `compareDownscaled` is set (the
 * input is shrunk by the scale with bicubic, run through the model again, and compared with
 * the input cut to a multiple of the scale, as BasicSR's mod-crop does).
 */
export async function scoreSuperResolution(args: {
  files: NodeFiles;
  ref: ItemReference | null;
  input: Uint8Array;
  result: SuperResolutionResult;
  model: PreparedModel<SuperResolutionSpec>;
  params: unknown;
  maxPixels: number;
  signal: AbortSignal;
}): Promise<SuperResolutionItemScores | null> {
  const { result } = args;
  const compareDownscaled =
    (args.params as { compareDownscaled?: unknown } | null)?.compareDownscaled === true;
  if (args.ref?.kind === "high_resolution" && args.ref.path) {
    const input = await decodeImage(args.input, { maxPixels: args.maxPixels });
    const hr = await decodeImage(await readBlob(args.files, args.ref.path), {
      maxPixels: args.maxPixels,
    });
    const { width, height } = result.image;
    // The HR image of a pair may be a few pixels larger than scale x LR (datasets mod-crop
    // at evaluation): its top-left part of the result's size is compared.
    if (
      hr.width < width ||
      hr.height < height ||
      hr.width - width >= result.scale ||
      hr.height - height >= result.scale
    ) {
      throw new RangeError(
        `the high-resolution reference is ${hr.width}x${hr.height} but the result is ${width}x${height}: the reference must be the input's size times the scale (${result.scale})`,
      );
    }
    checkScoredSize(width, height);
    const reference = cropTopLeft(hr, width, height);
    const bicubic = await resizeBicubic(input, width, height);
    return {
      kind: "super_resolution",
      reference: "pair",
      channel: "y",
      crop: result.scale,
      scale: result.scale,
      width,
      height,
      model: quality(result.image, reference, result.scale),
      bicubic: quality(bicubic, reference, result.scale),
    };
  }
  if (!compareDownscaled) return null;
  const scale = result.scale;
  const input = await decodeImage(args.input, { maxPixels: args.maxPixels });
  const lw = Math.floor(input.width / scale);
  const lh = Math.floor(input.height / scale);
  if (lw < 4 || lh < 4) {
    throw new RangeError(
      `a ${input.width}x${input.height} image is too small to shrink by ${scale} and compare`,
    );
  }
  const width = lw * scale;
  const height = lh * scale;
  checkScoredSize(width, height);
  const reference = cropTopLeft(input, width, height);
  const low = await resizeBicubic(reference, lw, lh);
  // At the model's own scale whatever size the task's files are written at: the shrunk image
  // must come back to the input's size to be compared with it.
  const params = args.params as { output?: Record<string, unknown> } | null;
  const atModelScale = params?.output
    ? { ...params, output: { ...params.output, size: { mode: "model" } } }
    : params;
  const again = await runSuperResolution({
    model: args.model,
    input: low,
    params: atModelScale,
    decode: { maxPixels: args.maxPixels },
    signal: args.signal,
  });
  if (again.image.width !== width || again.image.height !== height) {
    throw new RangeError(
      `the model's output for the shrunk image is ${again.image.width}x${again.image.height}, not ${width}x${height}: scores compare at the model's own scale`,
    );
  }
  const bicubic = await resizeBicubic(low, width, height);
  return {
    kind: "super_resolution",
    reference: "downscaled",
    channel: "y",
    crop: scale,
    scale,
    width,
    height,
    model: quality(again.image, reference, scale),
    bicubic: quality(bicubic, reference, scale),
  };
}

/** The top-left `width` x `height` of an image (alpha kept; the metrics ignore it). */
function cropTopLeft(img: RawImage, width: number, height: number): RawImage {
  if (img.width === width && img.height === height) return img;
  const c = img.channels;
  const data =
    img.depth === 16 ? new Uint16Array(width * height * c) : new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    data.set(img.data.subarray(y * img.width * c, (y * img.width + width) * c), y * width * c);
  }
  return { width, height, channels: img.channels, depth: img.depth, data };
}

export function scoreClassification(
  ref: ItemReference | null,
  r: ClassificationResult,
): ClassificationItemScores | null {
  if (!ref?.label) return null;
  const top = r.top.map((t) => t.label);
  const rank = top.findIndex((t) => t.trim().toLowerCase() === ref.label?.trim().toLowerCase());
  return {
    kind: "classification",
    label: ref.label,
    predicted: top[0] ?? "",
    rank: rank < 0 ? null : rank + 1,
    top,
  };
}

/**
 * Runs a scorer: `{ scores }` for the item's meta, `{}` when there is nothing to compare with,
 * `{ scoresError }` (in words) when the reference could not be used. Aborts pass through.
 */
export async function scoreSafely(
  signal: AbortSignal,
  score: () => Promise<ItemScores | null>,
): Promise<{ scores?: ItemScores; scoresError?: string }> {
  try {
    const scores = await score();
    return scores ? { scores } : {};
  } catch (error) {
    if (signal.aborted) throw error;
    return { scoresError: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Sums the scores of the task's succeeded items into Task.scores (null when none has any), when
 * the task ends: a retry of failed items ends the task again and sums again.
 */
export async function storeTaskScores(
  db: Db,
  task: { id: string; taskKind: string; params: string },
): Promise<TaskScores | null> {
  const items = await db.taskItem.findMany({
    where: { taskId: task.id, status: "succeeded" },
    orderBy: { position: "asc" },
    select: { resultMeta: true },
  });
  const records: ItemScores[] = [];
  for (const item of items) {
    if (!item.resultMeta) continue;
    const parsed = itemScoresSchema.safeParse(
      (JSON.parse(item.resultMeta) as { scores?: unknown }).scores,
    );
    if (parsed.success) records.push(parsed.data);
  }
  let k = 5;
  if (task.taskKind === "classification") {
    const params = ClassificationParams.safeParse(JSON.parse(task.params));
    if (params.success) k = params.data.topK;
  }
  const scores = aggregateScores(records, k);
  await db.task.update({
    where: { id: task.id },
    data: { scores: scores ? JSON.stringify(scores) : null },
    select: { id: true },
  });
  return scores;
}
