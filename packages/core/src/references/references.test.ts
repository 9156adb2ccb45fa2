import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeRle, rleCounts } from "./coco-rle";
import { decodeReferenceMask, rasterizeCocoSegmentations, resizeBicubic } from "./reference-images";

/** pycocotools' rleToString, written from maskApi.c, to make compressed strings for the test. */
function rleString(counts: number[]): string {
  let s = "";
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i] as number;
    if (i > 2) x -= counts[i - 2] as number;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

describe("COCO references", () => {
  it("decodes an uncompressed RLE in column order", () => {
    // 3 wide, 2 high; column order: (0,0) (0,1) (1,0) (1,1) (2,0) (2,1): runs 1 bg, 2 fg, 3 bg
    const m = decodeRle({ size: [2, 3], counts: [1, 2, 3] }, 3, 2);
    expect([...m]).toEqual([0, 1, 0, 1, 0, 0]);
  });

  it("reads compressed RLE strings, deltas and negative numbers included", () => {
    const counts = [5, 120, 3, 7, 300, 2, 90];
    expect(rleCounts(rleString(counts))).toEqual(counts);
  });

  it("fills a polygon: a 10x6 rectangle covers 60 pixels", async () => {
    const m = await rasterizeCocoSegmentations([[[2, 3, 12, 3, 12, 9, 2, 9]]], 20, 12);
    expect(m.reduce((s, v) => s + v, 0)).toBe(60);
    expect(m[3 * 20 + 2]).toBe(1);
    expect(m[2 * 20 + 2]).toBe(0);
    expect(m[9 * 20 + 2]).toBe(0);
  });

  it("refuses an RLE of another size in words", () => {
    expect(() => decodeRle({ size: [2, 2], counts: [4] }, 3, 2)).toThrow(
      /2x2 but its image is 3x2/,
    );
  });
});

describe("mask references", () => {
  it("takes any non-black colour as foreground and VOC's void border as background", async () => {
    const rgb = Buffer.from([0, 0, 0, 128, 0, 0, 224, 224, 192, 255, 255, 255]);
    const png = await sharp(rgb, { raw: { width: 4, height: 1, channels: 3 } })
      .png()
      .toBuffer();
    expect([...(await decodeReferenceMask(png, 4, 1))]).toEqual([0, 1, 0, 1]);
    await expect(decodeReferenceMask(png, 5, 1)).rejects.toThrow(/must be the same size/);
  });

  it("resizes with a cubic kernel to the size asked", async () => {
    const img = {
      width: 8,
      height: 4,
      channels: 1 as const,
      depth: 8 as const,
      data: Uint8Array.from({ length: 32 }, () => 100),
    };
    const out = await resizeBicubic(img, 4, 2);
    expect([out.width, out.height, out.channels]).toEqual([4, 2, 1]);
    // a flat image stays flat
    expect([...out.data].every((v) => v === 100)).toBe(true);
  });
});
