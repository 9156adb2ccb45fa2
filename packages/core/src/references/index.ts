// References for quality scores: decoding masks and COCO segmentations, bicubic baselines.
export * from "./coco-rle";
export * from "./reference-images";
