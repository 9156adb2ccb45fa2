import { describe, expect, it } from "vitest";
import { binaryCounts, binaryScores } from "./binary";
import { clDiceFromCounts, skeletonCounts } from "./cldice";
import {
  aggregateScores,
  type ItemScores,
  itemScoresOutputSchema,
  type SegmentationItemScores,
  taskScoresSchema,
} from "./records";
import { sweepCounts } from "./threshold-sweep";

function segRecord(prob: number[], ref: number[], w: number, h: number): SegmentationItemScores {
  const mask = prob.map((v) => (v >= 127.5 ? 1 : 0));
  const counts = binaryCounts(mask, ref);
  const skeleton = skeletonCounts(mask, ref, w, h);
  return {
    kind: "segmentation",
    threshold: 0.5,
    counts,
    ...binaryScores(counts),
    clDice: clDiceFromCounts(skeleton),
    skeleton,
    sweep: sweepCounts(prob, 8, ref),
  };
}

describe("task scores from per-image records", () => {
  it("pools segmentation counts over images and means the per-image scores", () => {
    const a = segRecord([200, 200, 0, 0], [1, 0, 1, 0], 2, 2);
    const b = segRecord([255, 255, 255, 0], [1, 1, 1, 1], 2, 2);
    const s = aggregateScores([a, b]);
    // a: TP 1 FP 1 FN 1; b: TP 3 FN 1 -> pooled TP 4 FP 1 FN 2: Dice 8/11, IoU 4/7
    expect(s).toMatchObject({ kind: "segmentation", images: 2, threshold: 0.5 });
    if (s?.kind !== "segmentation") throw new Error("kind");
    expect(s.dice).toBeCloseTo(8 / 11, 12);
    expect(s.iou).toBeCloseTo(4 / 7, 12);
    expect(s.precision).toBeCloseTo(4 / 5, 12);
    expect(s.recall).toBeCloseTo(4 / 6, 12);
    expect(s.meanDice).toBeCloseTo((0.5 + 6 / 7) / 2, 12);
    expect(s.sweep.points.find((p) => p.threshold === 0.5)?.dice).toBeCloseTo(s.dice, 12);
    expect(taskScoresSchema.parse(s)).toEqual(s);
  });

  it("means PSNR and SSIM over images, infinite PSNR as null", () => {
    const rec = (psnr: number | null, ssim: number): ItemScores => ({
      kind: "super_resolution",
      reference: "pair",
      channel: "y",
      crop: 4,
      scale: 4,
      width: 64,
      height: 64,
      model: { psnr, ssim, mse: 1 },
      bicubic: { psnr: 20, ssim: 0.5, mse: 2 },
    });
    expect(aggregateScores([rec(30, 0.9), rec(32, 0.8)])).toMatchObject({
      kind: "super_resolution",
      images: 2,
      model: { psnr: 31, ssim: expect.closeTo(0.85, 12) },
      bicubic: { psnr: 20, ssim: 0.5 },
    });
    expect(aggregateScores([rec(30, 0.9), rec(null, 1)])).toMatchObject({
      model: { psnr: null },
    });
  });

  it("gives accuracy and the confusion matrix for classification, null without records", () => {
    const rec = (label: string, top: string[]): ItemScores => ({
      kind: "classification",
      label,
      predicted: top[0] ?? "",
      rank: top.indexOf(label) < 0 ? null : top.indexOf(label) + 1,
      top,
    });
    const s = aggregateScores([rec("a", ["a", "b"]), rec("b", ["a", "b"])], 2);
    expect(s).toMatchObject({ kind: "classification", images: 2, top1: 0.5, topK: 1, k: 2 });
    expect(aggregateScores([])).toBeNull();
  });

  it("leaves the sweep out of the per-image output", () => {
    const a = segRecord([200, 0], [1, 0], 2, 1);
    expect("sweep" in itemScoresOutputSchema.parse(a)).toBe(false);
  });
});
