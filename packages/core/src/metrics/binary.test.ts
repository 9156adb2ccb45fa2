import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { addCounts, binaryCounts, binaryScores } from "./binary";

const fixtures = JSON.parse(
  readFileSync(new URL("./fixtures/metrics-fixtures.json", import.meta.url), "utf8"),
) as {
  masks: Array<{
    predicted: number[];
    reference: number[];
    tp: number;
    fp: number;
    fn: number;
    dice: number;
    iou: number;
    precision: number;
    recall: number;
  }>;
};

describe("binary mask scores", () => {
  it("counts and scores a hand-computed case", () => {
    // pred 1 1 0 0 1 / ref 1 0 1 0 1: TP 2, FP 1, FN 1, TN 1
    const c = binaryCounts([255, 255, 0, 0, 255], [1, 0, 1, 0, 1]);
    expect(c).toEqual({ tp: 2, fp: 1, fn: 1, tn: 1 });
    expect(binaryScores(c)).toEqual({ dice: 4 / 6, iou: 2 / 4, precision: 2 / 3, recall: 2 / 3 });
  });

  it("gives 1 for two empty masks and says when precision or recall is undefined", () => {
    expect(binaryScores(binaryCounts([0, 0], [0, 0]))).toEqual({
      dice: 1,
      iou: 1,
      precision: null,
      recall: null,
    });
    expect(binaryScores(binaryCounts([0, 0], [1, 0]))).toEqual({
      dice: 0,
      iou: 0,
      precision: null,
      recall: 0,
    });
    expect(binaryScores(binaryCounts([1, 0], [0, 0]))).toEqual({
      dice: 0,
      iou: 0,
      precision: 0,
      recall: null,
    });
  });

  it("matches numpy on the fixtures, and pooled counts are the counts of the joined images", () => {
    let pooled = { tp: 0, fp: 0, fn: 0, tn: 0 };
    for (const m of fixtures.masks) {
      const c = binaryCounts(m.predicted, m.reference);
      expect([c.tp, c.fp, c.fn]).toEqual([m.tp, m.fp, m.fn]);
      const s = binaryScores(c);
      expect(s.dice).toBeCloseTo(m.dice, 12);
      expect(s.iou).toBeCloseTo(m.iou, 12);
      expect(s.precision).toBeCloseTo(m.precision, 12);
      expect(s.recall).toBeCloseTo(m.recall, 12);
      pooled = addCounts(pooled, c);
    }
    const joined = binaryCounts(
      fixtures.masks.flatMap((m) => m.predicted),
      fixtures.masks.flatMap((m) => m.reference),
    );
    expect(pooled).toEqual(joined);
  });

  it("refuses masks of different sizes in words", () => {
    expect(() => binaryCounts([1, 0, 1], [1, 0])).toThrow(/must be the same size/);
  });
});
