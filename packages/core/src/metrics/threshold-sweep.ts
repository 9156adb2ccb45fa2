// Scores against every threshold from one probability map, so the best threshold can be picked
// without running the model again. The mask rule is the pipeline's (spec/mask.ts: foreground
// where value >= threshold x max), so the sweep's value at the task's threshold equals the
// scores of the mask the task produced.
import { type BinaryCounts, binaryScores } from "./binary";

/** 0, 0.01, ..., 1: fine enough for a chart and for picking a threshold. */
export const SWEEP_THRESHOLDS: readonly number[] = Object.freeze(
  Array.from({ length: 101 }, (_, i) => i / 100),
);

/** Counts per threshold (the arrays run along `thresholds`); they add up over images. */
export interface SweepCounts {
  thresholds: number[];
  tp: number[];
  fp: number[];
  fn: number[];
  /** Pixels in the image(s): tn = total - tp - fp - fn. */
  total: number;
}

/**
 * One pass over the pixels: a histogram of the map's values, split by the reference, summed
 * from the top gives the foreground counts for any cut.
 */
export function sweepCounts(
  probability: ArrayLike<number>,
  bits: 8 | 16,
  reference: ArrayLike<number>,
  thresholds: readonly number[] = SWEEP_THRESHOLDS,
): SweepCounts {
  if (probability.length !== reference.length) {
    throw new RangeError(
      `the probability map has ${probability.length} pixels and the reference ${reference.length}: they must be the same size`,
    );
  }
  const max = bits === 16 ? 65535 : 255;
  const positive = new Float64Array(max + 2);
  const negative = new Float64Array(max + 2);
  let referenceForeground = 0;
  for (let i = 0; i < probability.length; i++) {
    const v = probability[i] as number;
    if (reference[i] !== 0) {
      positive[v] = (positive[v] as number) + 1;
      referenceForeground++;
    } else negative[v] = (negative[v] as number) + 1;
  }
  // atOrAbove[v] = pixels whose value is >= v.
  for (let v = max - 1; v >= 0; v--) {
    positive[v] = (positive[v] as number) + (positive[v + 1] as number);
    negative[v] = (negative[v] as number) + (negative[v + 1] as number);
  }
  const out: SweepCounts = {
    thresholds: [...thresholds],
    tp: [],
    fp: [],
    fn: [],
    total: probability.length,
  };
  for (const t of thresholds) {
    // First integer value that passes `value >= t * max`.
    const first = Math.min(max + 1, Math.max(0, Math.ceil(t * max)));
    const tp = positive[first] as number;
    out.tp.push(tp);
    out.fp.push(negative[first] as number);
    out.fn.push(referenceForeground - tp);
  }
  return out;
}

export function addSweepCounts(a: SweepCounts, b: SweepCounts): SweepCounts {
  if (
    a.thresholds.length !== b.thresholds.length ||
    a.thresholds.some((t, i) => t !== b.thresholds[i])
  ) {
    throw new RangeError("threshold sweeps over different thresholds cannot be added");
  }
  return {
    thresholds: a.thresholds,
    tp: a.tp.map((v, i) => v + (b.tp[i] as number)),
    fp: a.fp.map((v, i) => v + (b.fp[i] as number)),
    fn: a.fn.map((v, i) => v + (b.fn[i] as number)),
    total: a.total + b.total,
  };
}

export function sweepCountsAt(s: SweepCounts, index: number): BinaryCounts {
  const tp = s.tp[index] as number;
  const fp = s.fp[index] as number;
  const fn = s.fn[index] as number;
  return { tp, fp, fn, tn: s.total - tp - fp - fn };
}

export interface SweepPoint {
  threshold: number;
  dice: number;
  iou: number;
  precision: number | null;
  recall: number | null;
}

export interface SweepSummary {
  points: SweepPoint[];
  /** The threshold with the highest Dice (the lowest such threshold on a tie). */
  best: SweepPoint;
}

export function summariseSweep(s: SweepCounts): SweepSummary {
  const points = s.thresholds.map((threshold, i) => ({
    threshold,
    ...binaryScores(sweepCountsAt(s, i)),
  }));
  let best = points[0] as SweepPoint;
  for (const p of points) if (p.dice > best.dice) best = p;
  return { points, best };
}
