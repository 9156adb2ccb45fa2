// Overlap scores of a binary mask against a reference mask: the pixel counts, and Dice, IoU,
// precision and recall from them. Counts (not scores) are what add up over images, so the
// overall scores of a dataset are computed from summed counts ("micro" averaging, as the
// segmentation papers that report one number over a test set usually do) and the mean of the
// per-image scores is given beside them.

/** Pixel counts of a prediction against a reference. */
export interface BinaryCounts {
  /** Foreground in both. */
  tp: number;
  /** Foreground in the prediction only. */
  fp: number;
  /** Foreground in the reference only. */
  fn: number;
  /** Background in both. */
  tn: number;
}

export interface BinaryScores {
  dice: number;
  iou: number;
  /** null when nothing was predicted (precision is undefined, not 0). */
  precision: number | null;
  /** null when the reference is empty (recall is undefined, not 0). */
  recall: number | null;
}

/** Anything non-zero is foreground (masks come as 0/255, 0/1 or booleans). */
export function binaryCounts(
  predicted: ArrayLike<number>,
  reference: ArrayLike<number>,
): BinaryCounts {
  if (predicted.length !== reference.length) {
    throw new RangeError(
      `the mask has ${predicted.length} pixels and the reference ${reference.length}: they must be the same size`,
    );
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i] !== 0;
    const r = reference[i] !== 0;
    if (p && r) tp++;
    else if (p) fp++;
    else if (r) fn++;
  }
  return { tp, fp, fn, tn: predicted.length - tp - fp - fn };
}

export function addCounts(a: BinaryCounts, b: BinaryCounts): BinaryCounts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}

export const ZERO_COUNTS: BinaryCounts = Object.freeze({ tp: 0, fp: 0, fn: 0, tn: 0 });

/**
 * Dice = 2TP / (2TP + FP + FN), IoU = TP / (TP + FP + FN). When both masks are empty the
 * prediction is exactly right, so both are 1 (the convention of MONAI's `ignore_empty=False`
 * and of most challenge evaluations).
 */
export function binaryScores(c: BinaryCounts): BinaryScores {
  const union = c.tp + c.fp + c.fn;
  return {
    dice: union === 0 ? 1 : (2 * c.tp) / (2 * c.tp + c.fp + c.fn),
    iou: union === 0 ? 1 : c.tp / union,
    precision: c.tp + c.fp === 0 ? null : c.tp / (c.tp + c.fp),
    recall: c.tp + c.fn === 0 ? null : c.tp / (c.tp + c.fn),
  };
}
