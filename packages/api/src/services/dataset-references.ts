// Finds the ground truth that comes with a dataset archive, so quality scores can be computed
// against it: segmentation masks (a masks/ folder beside images/ with the same stems, or Pascal
// VOC's SegmentationClass/ PNGs beside JPEGImages/) and super-resolution pairs (LR/ and HR/
// folders with the same stems). Reference files are not dataset images: they are stored
// beside the image they belong to. Pure: it gets the archive's image paths.

export type ReferenceKind = "mask" | "high_resolution";

export interface FoundReferences {
  /** Dataset image path -> its reference file's path in the archive. */
  byImage: Map<string, { entry: string; kind: ReferenceKind }>;
  /** Every archive image that is a reference (matched or not): none becomes a dataset image. */
  entries: Set<string>;
  /** What the dataset page says: the kind of reference found and how many images have one. */
  report: { kind: ReferenceKind; images: number; unmatched: number } | null;
}

const MASK_DIRS = new Set([
  "masks",
  "mask",
  "segmentationclass",
  "groundtruth",
  "ground_truth",
  "gt",
]);
/** VOC's per-instance masks: references too, but scores use the class masks. */
const IGNORED_REFERENCE_DIRS = new Set(["segmentationobject"]);
const LOW_DIRS = new Set(["lr", "low", "lq", "input", "inputs"]);
const HIGH_DIRS = new Set(["hr", "high", "gt", "target", "targets"]);

const dirsOf = (p: string) =>
  p
    .split("/")
    .slice(0, -1)
    .map((d) => d.toLowerCase());
const stemOf = (p: string) => (p.split("/").pop() ?? p).replace(/\.[^.]+$/, "").toLowerCase();

/** Index of the first folder of `p` that is in `names`, or -1. */
const folderIn = (p: string, names: Set<string>) => dirsOf(p).findIndex((d) => names.has(d));

/**
 * The image a reference belongs to: same stem, and the same folders apart from the reference
 * folder (so train/masks/a.png goes with train/images/a.jpg, not val/images/a.jpg); when the
 * folders do not line up, the only image of that stem.
 */
function matchImage(reference: string, level: number, images: string[]): string | undefined {
  const stem = stemOf(reference);
  const candidates = images.filter((i) => stemOf(i) === stem);
  const refDirs = dirsOf(reference);
  const same = candidates.filter((i) => {
    const dirs = dirsOf(i);
    return dirs.length === refDirs.length && dirs.every((d, k) => k === level || d === refDirs[k]);
  });
  if (same.length === 1) return same[0];
  return candidates.length === 1 ? candidates[0] : undefined;
}

export function findReferences(imagePaths: string[]): FoundReferences {
  const hasLow = imagePaths.some((p) => folderIn(p, LOW_DIRS) >= 0);
  const highs = hasLow ? imagePaths.filter((p) => folderIn(p, HIGH_DIRS) >= 0) : [];
  if (highs.length > 0) {
    return pairReferences(imagePaths, highs, HIGH_DIRS, "high_resolution", new Set(highs));
  }
  const ignored = imagePaths.filter((p) => folderIn(p, IGNORED_REFERENCE_DIRS) >= 0);
  const masks = imagePaths.filter((p) => folderIn(p, MASK_DIRS) >= 0);
  if (masks.length === 0) return { byImage: new Map(), entries: new Set(), report: null };
  return pairReferences(imagePaths, masks, MASK_DIRS, "mask", new Set([...masks, ...ignored]));
}

/**
 * Pairs each reference (a file under one of `dirs`) with its image among the paths that are not
 * `entries` (the references and anything else that is no image of the dataset).
 */
function pairReferences(
  imagePaths: string[],
  references: string[],
  dirs: Set<string>,
  kind: ReferenceKind,
  entries: Set<string>,
): FoundReferences {
  const images = imagePaths.filter((p) => !entries.has(p));
  const byImage = new Map<string, { entry: string; kind: ReferenceKind }>();
  for (const reference of references) {
    const image = matchImage(reference, folderIn(reference, dirs), images);
    if (image && !byImage.has(image)) byImage.set(image, { entry: reference, kind });
  }
  return {
    byImage,
    entries,
    report: { kind, images: byImage.size, unmatched: references.length - byImage.size },
  };
}
