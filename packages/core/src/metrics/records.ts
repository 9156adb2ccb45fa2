// What the worker stores per image (TaskItem.resultMeta.scores) and per task (Task.scores),
// and how the per-image records add up. zod only, so the API's output schemas and the browser
// can use the same shapes. Per-image records keep the raw counts next to the scores: counts add
// up over images, scores do not.
import { z } from "zod";
import { addCounts, type BinaryCounts, binaryScores, ZERO_COUNTS } from "./binary";
import { classificationScores } from "./classification";
import { addSkeletonCounts, clDiceFromCounts, type SkeletonCounts } from "./cldice";
import { addSweepCounts, type SweepCounts, summariseSweep } from "./threshold-sweep";

const ratio = z.number().min(0).max(1);
const count = z.number().int().min(0);
const countsSchema = z.object({ tp: count, fp: count, fn: count, tn: count });
const skeletonSchema = z.object({
  predictedSkeletonInReference: count,
  predictedSkeleton: count,
  referenceSkeletonInPrediction: count,
  referenceSkeleton: count,
});
const sweepSchema = z.object({
  thresholds: z.array(ratio),
  tp: z.array(count),
  fp: z.array(count),
  fn: z.array(count),
  total: count,
});
/** dB; null when the images are identical (infinite PSNR: JSON has no Infinity). */
const decibels = z.number().nullable();

export const segmentationItemScores = z.object({
  kind: z.literal("segmentation"),
  /** The threshold the task's mask used. */
  threshold: ratio,
  counts: countsSchema,
  dice: ratio,
  iou: ratio,
  precision: ratio.nullable(),
  recall: ratio.nullable(),
  clDice: ratio,
  skeleton: skeletonSchema,
  sweep: sweepSchema,
});

const qualitySchema = z.object({ psnr: decibels, ssim: z.number(), mse: z.number().min(0) });

export const SR_REFERENCES = ["pair", "downscaled"] as const;

export const superResolutionItemScores = z.object({
  kind: z.literal("super_resolution"),
  /** pair: the dataset's high-resolution image; downscaled: the input itself, shrunk by the scale and upscaled again. */
  reference: z.enum(SR_REFERENCES),
  /** Always "y" (BT.601 luma), as the SR papers report. */
  channel: z.literal("y"),
  /** Border pixels left out on every side (the scale). */
  crop: count,
  scale: z.number().int().min(1),
  /** Compared size (of the reference, before cropping). */
  width: count,
  height: count,
  model: qualitySchema,
  /** The same input upscaled with bicubic interpolation: the baseline to beat. */
  bicubic: qualitySchema,
});

export const classificationItemScores = z.object({
  kind: z.literal("classification"),
  label: z.string(),
  predicted: z.string(),
  /** The label's 1-based place among the predictions; null when it is not among them. */
  rank: z.number().int().min(1).nullable(),
  top: z.array(z.string()),
});

export const itemScoresSchema = z.discriminatedUnion("kind", [
  segmentationItemScores,
  superResolutionItemScores,
  classificationItemScores,
]);
export type ItemScores = z.infer<typeof itemScoresSchema>;

/**
 * Per-image scores as the API returns them: without the threshold sweep's counts (about 300
 * numbers an image; the task's sweep has the chart), so a page of items stays small.
 */
export const itemScoresOutputSchema = z.discriminatedUnion("kind", [
  segmentationItemScores.omit({ sweep: true }),
  superResolutionItemScores,
  classificationItemScores,
]);
export type ItemScoresOutput = z.infer<typeof itemScoresOutputSchema>;
export type SegmentationItemScores = z.infer<typeof segmentationItemScores>;
export type SuperResolutionItemScores = z.infer<typeof superResolutionItemScores>;
export type ClassificationItemScores = z.infer<typeof classificationItemScores>;

const sweepPoint = z.object({
  threshold: ratio,
  dice: ratio,
  iou: ratio,
  precision: ratio.nullable(),
  recall: ratio.nullable(),
});

export const taskScoresSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("segmentation"),
    images: count,
    threshold: ratio,
    /** From the pixel counts of all images together. */
    dice: ratio,
    iou: ratio,
    precision: ratio.nullable(),
    recall: ratio.nullable(),
    clDice: ratio,
    /** Means of the per-image scores. */
    meanDice: ratio,
    meanIou: ratio,
    meanClDice: ratio,
    sweep: z.object({ points: z.array(sweepPoint), best: sweepPoint }),
  }),
  z.object({
    kind: z.literal("super_resolution"),
    images: count,
    reference: z.enum(SR_REFERENCES),
    channel: z.literal("y"),
    crop: count,
    /** Means of the per-image values (as papers report a test set). */
    model: z.object({ psnr: decibels, ssim: z.number() }),
    bicubic: z.object({ psnr: decibels, ssim: z.number() }),
  }),
  z.object({
    kind: z.literal("classification"),
    images: count,
    top1: ratio,
    topK: ratio,
    k: z.number().int().min(1),
    confusion: z.object({ labels: z.array(z.string()), counts: z.array(z.array(count)) }),
  }),
]);
export type TaskScores = z.infer<typeof taskScoresSchema>;

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

/** Mean PSNR; any identical pair makes it infinite (null). */
function meanDecibels(values: Array<number | null>): number | null {
  return values.some((v) => v === null) ? null : mean(values as number[]);
}

/**
 * The task's scores from its images' records (all of one kind; records of another kind are
 * ignored). null when no image has a record. `k` is the task's top-k for classification.
 */
export function aggregateScores(records: readonly ItemScores[], k = 5): TaskScores | null {
  const first = records[0];
  if (!first) return null;
  if (first.kind === "segmentation") {
    const seg = records.filter((r): r is SegmentationItemScores => r.kind === "segmentation");
    let counts: BinaryCounts = ZERO_COUNTS;
    let skeleton: SkeletonCounts = {
      predictedSkeletonInReference: 0,
      predictedSkeleton: 0,
      referenceSkeletonInPrediction: 0,
      referenceSkeleton: 0,
    };
    let sweep: SweepCounts | null = null;
    for (const r of seg) {
      counts = addCounts(counts, r.counts);
      skeleton = addSkeletonCounts(skeleton, r.skeleton);
      sweep = sweep ? addSweepCounts(sweep, r.sweep) : r.sweep;
    }
    return {
      kind: "segmentation",
      images: seg.length,
      threshold: first.threshold,
      ...binaryScores(counts),
      clDice: clDiceFromCounts(skeleton),
      meanDice: mean(seg.map((r) => r.dice)),
      meanIou: mean(seg.map((r) => r.iou)),
      meanClDice: mean(seg.map((r) => r.clDice)),
      sweep: summariseSweep(sweep as SweepCounts),
    };
  }
  if (first.kind === "super_resolution") {
    const sr = records.filter((r): r is SuperResolutionItemScores => r.kind === "super_resolution");
    return {
      kind: "super_resolution",
      images: sr.length,
      reference: first.reference,
      channel: "y",
      crop: first.crop,
      model: {
        psnr: meanDecibels(sr.map((r) => r.model.psnr)),
        ssim: mean(sr.map((r) => r.model.ssim)),
      },
      bicubic: {
        psnr: meanDecibels(sr.map((r) => r.bicubic.psnr)),
        ssim: mean(sr.map((r) => r.bicubic.ssim)),
      },
    };
  }
  const cls = records.filter((r): r is ClassificationItemScores => r.kind === "classification");
  return { kind: "classification", ...classificationScores(cls, k) };
}
