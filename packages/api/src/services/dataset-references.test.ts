import { describe, expect, it } from "vitest";
import { findReferences } from "./dataset-references";

describe("dataset references", () => {
  it("pairs masks/ with images/ by stem, split by split", () => {
    const r = findReferences([
      "train/images/a.jpg",
      "train/masks/a.png",
      "val/images/a.jpg",
      "val/masks/a.png",
      "val/images/b.jpg",
      "val/masks/zzz.png",
    ]);
    expect(Object.fromEntries([...r.byImage].map(([k, v]) => [k, v.entry]))).toEqual({
      "train/images/a.jpg": "train/masks/a.png",
      "val/images/a.jpg": "val/masks/a.png",
    });
    expect([...r.entries].sort()).toEqual([
      "train/masks/a.png",
      "val/masks/a.png",
      "val/masks/zzz.png",
    ]);
    expect(r.report).toEqual({ kind: "mask", images: 2, unmatched: 1 });
  });

  it("reads Pascal VOC: SegmentationClass masks, SegmentationObject left out of the images", () => {
    const r = findReferences([
      "VOC2012/JPEGImages/2007_000032.jpg",
      "VOC2012/JPEGImages/2007_000033.jpg",
      "VOC2012/SegmentationClass/2007_000032.png",
      "VOC2012/SegmentationObject/2007_000032.png",
    ]);
    expect(r.byImage.get("VOC2012/JPEGImages/2007_000032.jpg")).toEqual({
      entry: "VOC2012/SegmentationClass/2007_000032.png",
      kind: "mask",
    });
    expect(r.byImage.has("VOC2012/JPEGImages/2007_000033.jpg")).toBe(false);
    expect(r.entries.has("VOC2012/SegmentationObject/2007_000032.png")).toBe(true);
  });

  it("pairs LR/ with HR/ for super-resolution; gt/ beside lr/ is the high resolution", () => {
    const r = findReferences(["Set5/LR/baby.png", "Set5/HR/baby.png", "Set5/LR/bird.png"]);
    expect(r.byImage.get("Set5/LR/baby.png")).toEqual({
      entry: "Set5/HR/baby.png",
      kind: "high_resolution",
    });
    expect(r.report).toEqual({ kind: "high_resolution", images: 1, unmatched: 0 });
    const gt = findReferences(["lq/1.png", "gt/1.png"]);
    expect(gt.byImage.get("lq/1.png")?.kind).toBe("high_resolution");
  });

  it("finds nothing in a plain or classification archive", () => {
    expect(findReferences(["cats/a.jpg", "dogs/b.jpg"]).report).toBeNull();
  });
});
