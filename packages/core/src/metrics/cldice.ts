// clDice (Shit et al., "clDice - a novel topology-preserving loss function for tubular
// structure segmentation", CVPR 2021), the evaluation form with a hard skeleton:
//   Tprec = |S(P) ∩ V_L| / |S(P)|,  Tsens = |S(L) ∩ V_P| / |S(L)|,  clDice = 2 Tprec Tsens / (Tprec + Tsens)
// with S the Zhang-Suen skeleton (the paper's evaluation uses skimage's skeletonize, which is
// Zhang-Suen for 2D images). The four counts add up over images for an overall value.
import { zhangSuenSkeleton } from "./skeleton";

export interface SkeletonCounts {
  /** Skeleton pixels of the prediction that lie inside the reference mask. */
  predictedSkeletonInReference: number;
  predictedSkeleton: number;
  /** Skeleton pixels of the reference that lie inside the predicted mask. */
  referenceSkeletonInPrediction: number;
  referenceSkeleton: number;
}

export function skeletonCounts(
  predicted: ArrayLike<number>,
  reference: ArrayLike<number>,
  width: number,
  height: number,
): SkeletonCounts {
  const sp = zhangSuenSkeleton(predicted, width, height);
  const sl = zhangSuenSkeleton(reference, width, height);
  const c: SkeletonCounts = {
    predictedSkeletonInReference: 0,
    predictedSkeleton: 0,
    referenceSkeletonInPrediction: 0,
    referenceSkeleton: 0,
  };
  for (let i = 0; i < sp.length; i++) {
    if (sp[i]) {
      c.predictedSkeleton++;
      if (reference[i] !== 0) c.predictedSkeletonInReference++;
    }
    if (sl[i]) {
      c.referenceSkeleton++;
      if (predicted[i] !== 0) c.referenceSkeletonInPrediction++;
    }
  }
  return c;
}

export function addSkeletonCounts(a: SkeletonCounts, b: SkeletonCounts): SkeletonCounts {
  return {
    predictedSkeletonInReference: a.predictedSkeletonInReference + b.predictedSkeletonInReference,
    predictedSkeleton: a.predictedSkeleton + b.predictedSkeleton,
    referenceSkeletonInPrediction:
      a.referenceSkeletonInPrediction + b.referenceSkeletonInPrediction,
    referenceSkeleton: a.referenceSkeleton + b.referenceSkeleton,
  };
}

/**
 * clDice from the counts. Both skeletons empty: 1 (nothing to find, nothing found); one of them
 * empty: 0 (a structure missed entirely, or found where there is none).
 */
export function clDiceFromCounts(c: SkeletonCounts): number {
  if (c.predictedSkeleton === 0 && c.referenceSkeleton === 0) return 1;
  if (c.predictedSkeleton === 0 || c.referenceSkeleton === 0) return 0;
  const tprec = c.predictedSkeletonInReference / c.predictedSkeleton;
  const tsens = c.referenceSkeletonInPrediction / c.referenceSkeleton;
  return tprec + tsens === 0 ? 0 : (2 * tprec * tsens) / (tprec + tsens);
}

export function clDice(
  predicted: ArrayLike<number>,
  reference: ArrayLike<number>,
  width: number,
  height: number,
): number {
  return clDiceFromCounts(skeletonCounts(predicted, reference, width, height));
}
