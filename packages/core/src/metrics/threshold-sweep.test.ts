import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { thresholdProbability } from "../spec/mask";
import { binaryCounts } from "./binary";
import { addSweepCounts, summariseSweep, sweepCounts, sweepCountsAt } from "./threshold-sweep";

const fixtures = JSON.parse(
  readFileSync(new URL("./fixtures/metrics-fixtures.json", import.meta.url), "utf8"),
) as {
  masks: Array<{
    probability16: number[];
    reference: number[];
    sweep: Array<{ threshold: number; tp: number; fp: number; fn: number }>;
  }>;
};

describe("threshold sweep", () => {
  it("counts a hand-computed 8-bit case at each threshold", () => {
    // values 0, 64, 128, 255 with reference 0, 1, 1, 0
    const s = sweepCounts([0, 64, 128, 255], 8, [0, 1, 1, 0], [0, 0.25, 0.5, 1]);
    // t=0: all foreground; t=0.25 (cut 63.75): 64, 128, 255; t=0.5 (127.5): 128, 255; t=1: 255
    expect(s.tp).toEqual([2, 2, 1, 0]);
    expect(s.fp).toEqual([2, 1, 1, 1]);
    expect(s.fn).toEqual([0, 0, 1, 2]);
    expect(sweepCountsAt(s, 2)).toEqual({ tp: 1, fp: 1, fn: 1, tn: 1 });
  });

  it("agrees with the pipeline's mask rule at every threshold (16-bit)", () => {
    const m = fixtures.masks[0] as (typeof fixtures.masks)[number];
    const s = sweepCounts(m.probability16, 16, m.reference);
    for (const [i, t] of s.thresholds.entries()) {
      const mask = thresholdProbability(m.probability16, 16, t);
      const c = binaryCounts(mask, m.reference);
      expect(sweepCountsAt(s, i)).toEqual(c);
    }
  });

  it("matches numpy on the fixtures and adds up over images", () => {
    const thresholds = [0, 0.25, 0.5, 0.75, 1];
    let total: ReturnType<typeof sweepCounts> | null = null;
    for (const m of fixtures.masks) {
      const s = sweepCounts(m.probability16, 16, m.reference, thresholds);
      expect(s.tp).toEqual(m.sweep.map((p) => p.tp));
      expect(s.fp).toEqual(m.sweep.map((p) => p.fp));
      expect(s.fn).toEqual(m.sweep.map((p) => p.fn));
      total = total ? addSweepCounts(total, s) : s;
    }
    const joined = sweepCounts(
      fixtures.masks.flatMap((m) => m.probability16),
      16,
      fixtures.masks.flatMap((m) => m.reference),
      thresholds,
    );
    expect(total).toEqual(joined);
  });

  it("picks the threshold with the best Dice", () => {
    // Foreground has values 200+, background below 100: any cut in between is perfect.
    const s = sweepCounts([10, 50, 99, 200, 230, 255], 8, [0, 0, 0, 1, 1, 1]);
    const { best, points } = summariseSweep(s);
    expect(points).toHaveLength(101);
    expect(best.dice).toBe(1);
    expect(best.threshold).toBeGreaterThan(99 / 255);
    expect(best.threshold).toBeLessThanOrEqual(200 / 255);
  });
});
