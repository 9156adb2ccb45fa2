// COCO run-length encoded masks (pycocotools' maskApi.c, rleFrString / rleDecode): counts
// alternate background / foreground runs, starting with background, over the pixels in column
// order (x outer, y inner). The compressed form packs each count (the delta to the count two
// back, from the third on) as 5-bit groups in characters from 48. Hand-written: no maintained
// npm package decodes COCO RLE, and it is these twenty lines.

export interface CocoRle {
  size: [number, number];
  counts: number[] | string;
}

export function rleCounts(counts: string): number[] {
  const out: number[] = [];
  let p = 0;
  while (p < counts.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= counts.length) throw new RangeError("the COCO RLE string ends inside a count");
      const c = counts.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10) !== 0) x |= -1 << (5 * k);
    }
    if (out.length > 2) x += out[out.length - 2] as number;
    out.push(x);
  }
  return out;
}

/** Row-major 0/1 mask of `width` x `height` from an RLE whose size is [height, width]. */
export function decodeRle(rle: CocoRle, width: number, height: number): Uint8Array {
  const [h, w] = rle.size;
  if (h !== height || w !== width) {
    throw new RangeError(`the COCO mask is ${w}x${h} but its image is ${width}x${height}`);
  }
  const counts = typeof rle.counts === "string" ? rleCounts(rle.counts) : rle.counts;
  const out = new Uint8Array(width * height);
  let i = 0;
  let value = 0;
  for (const n of counts) {
    for (let j = 0; j < n && i < width * height; j++, i++) {
      if (value) {
        // column-major index i -> (x, y)
        const x = Math.floor(i / height);
        const y = i % height;
        out[y * width + x] = 1;
      }
    }
    value ^= 1;
  }
  return out;
}
