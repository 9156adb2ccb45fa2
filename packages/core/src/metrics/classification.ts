// Accuracy (top-1 and top-k) and the confusion matrix of a classifier on labelled images.

export interface LabelledPrediction {
  /** The reference label (the image's class folder). */
  label: string;
  /** The model's labels, best first (at least one). */
  top: string[];
}

export interface ClassificationScores {
  images: number;
  top1: number;
  /** Share of images whose label is among the first `k` predictions. */
  topK: number;
  k: number;
  confusion: ConfusionMatrix;
}

/** rows = reference labels, columns = predicted labels, both in `labels` order. */
export interface ConfusionMatrix {
  labels: string[];
  counts: number[][];
}

/**
 * Folder names and a model's label names are written by different people: "Cat" and "cat "
 * are one class. The reference's spelling is kept for display.
 */
export function sameLabel(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** 1-based position of the label among the predictions, or null when it is not there. */
export function labelRank(label: string, top: readonly string[]): number | null {
  const i = top.findIndex((t) => sameLabel(t, label));
  return i < 0 ? null : i + 1;
}

export function confusionMatrix(predictions: readonly LabelledPrediction[]): ConfusionMatrix {
  const labels: string[] = [];
  const index = (name: string) => {
    let i = labels.findIndex((l) => sameLabel(l, name));
    if (i < 0) {
      labels.push(name);
      i = labels.length - 1;
    }
    return i;
  };
  for (const p of predictions) index(p.label);
  const pairs = predictions.map((p) => [index(p.label), index(p.top[0] ?? "")] as const);
  const counts = labels.map(() => labels.map(() => 0));
  for (const [r, c] of pairs)
    (counts[r] as number[])[c] = ((counts[r] as number[])[c] as number) + 1;
  return { labels, counts };
}

export function classificationScores(
  predictions: readonly LabelledPrediction[],
  k: number,
): ClassificationScores {
  let top1 = 0;
  let topK = 0;
  for (const p of predictions) {
    const rank = labelRank(p.label, p.top);
    if (rank === 1) top1++;
    if (rank !== null && rank <= k) topK++;
  }
  const n = predictions.length;
  return {
    images: n,
    top1: n ? top1 / n : 0,
    topK: n ? topK / n : 0,
    k,
    confusion: confusionMatrix(predictions),
  };
}
