// Turns stored references into what the metrics compare: a 0/1 mask of the image's size (from
// a mask image or COCO segmentations), and bicubic resizes for the super-resolution baseline.
import sharp from "sharp";
import type { RawImage } from "../image/types";
import { type CocoRle, decodeRle } from "./coco-rle";

/**
 * Pascal VOC's "void" colour (object borders and difficult regions). It is not an object, so
 * it counts as background: the SegmentationClass PNGs mark every object boundary with it.
 */
const VOC_VOID = [224, 224, 192] as const;

/**
 * A mask image as 0/1: foreground is any pixel that is not black (gray 0/255 or 0/1 masks,
 * VOC's coloured class masks) and not VOC's void colour; transparent pixels are background.
 */
export async function decodeReferenceMask(
  bytes: Uint8Array,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const { data, info } = await sharp(bytes, { pages: 1 })
    .toColourspace("srgb")
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height) {
    throw new RangeError(
      `the reference mask is ${info.width}x${info.height} but its image is ${width}x${height}: they must be the same size`,
    );
  }
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const r = data[i * 4] as number;
    const g = data[i * 4 + 1] as number;
    const b = data[i * 4 + 2] as number;
    const a = data[i * 4 + 3] as number;
    const void_ = r === VOC_VOID[0] && g === VOC_VOID[1] && b === VOC_VOID[2];
    out[i] = a > 0 && (r | g | b) !== 0 && !void_ ? 1 : 0;
  }
  return out;
}

/** A COCO object's segmentation: polygons [[x1, y1, x2, y2, ...], ...] or an RLE. */
export type CocoSegmentation = number[][] | CocoRle;

/**
 * The union of COCO segmentations as a 0/1 mask. Polygons are filled by librsvg (through
 * sharp) without anti-aliasing, which covers a pixel when its centre is inside, as
 * pycocotools does up to the pixels the outline crosses.
 */
export async function rasterizeCocoSegmentations(
  segmentations: readonly CocoSegmentation[],
  width: number,
  height: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(width * height);
  const paths: string[] = [];
  for (const s of segmentations) {
    if (Array.isArray(s)) {
      for (const poly of s) {
        if (poly.length < 6) continue;
        const points: string[] = [];
        for (let i = 0; i + 1 < poly.length; i += 2) points.push(`${poly[i]} ${poly[i + 1]}`);
        paths.push(`M${points.join(" L")} Z`);
      }
    } else {
      const m = decodeRle(s, width, height);
      for (let i = 0; i < m.length; i++) if (m[i]) out[i] = 1;
    }
  }
  if (paths.length > 0) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="${width}" height="${height}" fill="#000"/><path d="${paths.join(" ")}" fill="#fff" fill-rule="nonzero" shape-rendering="crispEdges"/></svg>`;
    const { data } = await sharp(Buffer.from(svg), { density: 72 })
      .resize(width, height, { fit: "fill" })
      .toColourspace("b-w")
      .raw()
      .toBuffer({ resolveWithObject: true });
    for (let i = 0; i < out.length; i++) if ((data[i] as number) >= 128) out[i] = 1;
  }
  return out;
}

/**
 * Bicubic resize (Catmull-Rom, the cubic of MATLAB's imresize that SR datasets are made with;
 * libvips widens the kernel when shrinking, as imresize's antialiasing does). Scores ignore
 * alpha, so it is dropped: the result is gray or RGB, 8-bit (16-bit inputs keep their top 8 bits).
 */
export async function resizeBicubic(
  img: RawImage,
  width: number,
  height: number,
): Promise<RawImage> {
  const channels = img.channels === 2 || img.channels === 1 ? 1 : 3;
  const pixels = img.width * img.height;
  const data8 = new Uint8Array(pixels * channels);
  const shift = img.depth === 16 ? 8 : 0;
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < channels; c++) {
      data8[i * channels + c] = (img.data[i * img.channels + c] as number) >> shift;
    }
  }
  const { data, info } = await sharp(Buffer.from(data8.buffer), {
    raw: { width: img.width, height: img.height, channels },
  })
    .resize(width, height, { kernel: "cubic", fit: "fill" })
    .toColourspace(channels === 1 ? "b-w" : "srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: info.channels as RawImage["channels"],
    depth: 8,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
