import { DEFAULT_PNG_LEVEL, encodePng } from "../image/encode";
import type { RawImage } from "../image/types";
import type { Device } from "../runtime/providers";
import { emptyTimings, type Timings, timed } from "../runtime/timings";
import {
  SegmentationParams,
  type SegmentationSpec,
  type SegmentationParams as SegParams,
  thresholdProbability,
} from "../spec/index";
import {
  fillTensorRegion,
  inputAffine,
  modelChannels,
  quantise,
  type Rect,
  resizeBilinear,
} from "../tensor/index";
import { autoOverlap, splitOverlap } from "../tiling/grid";
import { runTiled } from "../tiling/run";
import { foregroundProbability } from "./activation";
import { cropImage } from "./alpha";
import { checkRegion, loadInput, resolveTile, runSignature, type TiledRunRequest } from "./common";
import { type TilingReport, tiledRunReport } from "./super-resolution";

export type SegmentationRequest = TiledRunRequest<SegmentationSpec>;

export interface SegmentationResult {
  width: number;
  height: number;
  threshold: number;
  /** Foreground probability 0..1 quantised to 8 or 16 bits (1 channel). */
  probability: RawImage;
  /** uint8 0/255; mask = probability / max >= threshold, so it can be recomputed from the map. */
  mask: RawImage;
  /** Share of mask pixels that are foreground. */
  foregroundFraction: number;
  png: { mask?: Buffer; probability?: Buffer; overlay?: Buffer };
  params: SegParams;
  signature: string;
  device: Device;
  timings: Timings;
  tiling?: TilingReport;
  region?: Rect;
}

/** The mask rule (thresholdProbability from the spec, shared with the browser) plus a count. */
export function thresholdMask(
  prob: RawImage,
  threshold: number,
): RawImage & { foreground: number } {
  const data = thresholdProbability(prob.data, prob.depth, threshold) as Uint8Array;
  let foreground = 0;
  for (let i = 0; i < data.length; i++) if (data[i]) foreground++;
  return { width: prob.width, height: prob.height, channels: 1, depth: 8, data, foreground };
}

export async function runSegmentation(req: SegmentationRequest): Promise<SegmentationResult> {
  const started = performance.now();
  const timings = emptyTimings();
  const { spec, runner } = req.model;
  const params = SegmentationParams.parse(req.params ?? {});
  const signature = runSignature("segmentation", params, req.model);
  const img = await loadInput(req.input, req.decode, timings);
  const region = checkRegion(req.region, img);
  const bits = params.outputs.probabilityBitDepth;
  const probMax = bits === 16 ? 65535 : 255;

  let probability: RawImage;
  let tiling: TilingReport | undefined;
  if (spec.size.mode === "fixed") {
    // A fixed-size model sees the whole image resized, so a crop is cut from the full map.
    const full = await fixedSizeProbability(req, img, probMax, timings);
    probability = cropImage(full, region);
  } else {
    const overlap = params.overlap === "auto" ? autoOverlap(spec.receptiveField) : params.overlap;
    const mc = modelChannels(spec.colorOrder);
    const { tile, budgetBytes } = await resolveTile(params.tile, {
      budgetBytes: req.memoryBudgetBytes,
      device: runner.device,
      inChannels: mc,
      outChannels: 1,
      scale: 1,
      overlap,
      multipleOf: spec.size.multipleOf,
      bytesPerPixel: req.model.workingBytesPerPixel,
    });
    const data =
      bits === 16
        ? new Uint16Array(region.width * region.height)
        : new Uint8Array(region.width * region.height);
    probability = { width: region.width, height: region.height, channels: 1, depth: bits, data };
    const tiled = await runTiled({
      image: img,
      order: spec.colorOrder,
      affine: inputAffine(spec.normalization, spec.colorOrder, img.depth),
      runner,
      scale: 1,
      tile,
      overlap,
      borderPad: splitOverlap(overlap).margin,
      multipleOf: spec.size.multipleOf,
      minSize: spec.size.minSize,
      region,
      channels: 1,
      convert: (out, dest, plane) =>
        foregroundProbability(out, spec.activation, spec.foregroundChannel, dest, plane),
      sink: (rows, y, count) => {
        let o = y * region.width;
        for (let row = 0; row < count; row++) {
          let s = rows.offset + row * rows.rowStride;
          for (let x = 0; x < region.width; x++, s += rows.pixelStride)
            data[o++] = quantise((rows.data[s] as number) * probMax, probMax);
        }
      },
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    });
    tiling = tiledRunReport(tiled, params.tile, overlap, timings, budgetBytes);
  }

  const mask = await timed(timings, "postMs", () => thresholdMask(probability, params.threshold));
  const fg = mask.foreground;
  const png: SegmentationResult["png"] = {};
  const pngOptions = { compressionLevel: req.pngCompressionLevel ?? DEFAULT_PNG_LEVEL };
  await timed(timings, "encodeMs", async () => {
    const [maskPng, probPng, overlayPng] = await Promise.all([
      params.outputs.mask ? encodePng(mask, pngOptions) : undefined,
      params.outputs.probability ? encodePng(probability, pngOptions) : undefined,
      params.outputs.overlay
        ? encodePng(overlayImage(img, region, mask, params), pngOptions)
        : undefined,
    ]);
    if (maskPng) png.mask = maskPng;
    if (probPng) png.probability = probPng;
    if (overlayPng) png.overlay = overlayPng;
  });
  timings.totalMs = performance.now() - started;
  return {
    width: region.width,
    height: region.height,
    threshold: params.threshold,
    probability,
    mask,
    foregroundFraction: fg / Math.max(1, mask.data.length),
    png,
    params,
    signature,
    device: runner.device,
    timings,
    ...(tiling ? { tiling } : {}),
    ...(req.region ? { region } : {}),
  };
}

/** Seed flow: resize to the model size, run, activation, resize back (bilinear), quantise. */
async function fixedSizeProbability(
  req: SegmentationRequest,
  img: RawImage,
  probMax: number,
  timings: Timings,
): Promise<RawImage> {
  const { spec, runner } = req.model;
  if (spec.size.mode !== "fixed") throw new Error("unreachable");
  const { width: mw, height: mh } = spec.size;
  const mc = modelChannels(spec.colorOrder);
  req.signal?.throwIfAborted();
  const input = await timed(timings, "preMs", () => octaStyleTensor(img, spec));
  const out = await timed(timings, "runMs", () => runner.run(input, [1, mc, mh, mw]));
  if (out.dims[2] !== mh || out.dims[3] !== mw) {
    throw new Error(`model output [${out.dims.join(",")}] does not match its ${mw}x${mh} input`);
  }
  return timed(timings, "postMs", () => {
    const small = new Float32Array(mw * mh);
    foregroundProbability(out, spec.activation, spec.foregroundChannel, small, mw * mh);
    const full = resizeBilinear(small, 1, mw, mh, img.width, img.height);
    const bits = probMax === 65535 ? 16 : 8;
    const data = bits === 16 ? new Uint16Array(full.length) : new Uint8Array(full.length);
    for (let i = 0; i < full.length; i++)
      data[i] = quantise((full[i] as number) * probMax, probMax);
    req.onProgress?.({ done: 1, total: 1, tile: Math.max(mw, mh) });
    return { width: img.width, height: img.height, channels: 1, depth: bits, data } as RawImage;
  });
}

/**
 * Model input for a fixed-size spec: the image in the model's colour order and normalisation
 * at source size, resized bilinearly (half-pixel centres) to the model size.
 */
export function octaStyleTensor(img: RawImage, spec: SegmentationSpec): Float32Array {
  if (spec.size.mode !== "fixed") throw new Error("spec has no fixed size");
  const mc = modelChannels(spec.colorOrder);
  const src = new Float32Array(mc * img.width * img.height);
  fillTensorRegion(
    img,
    { x: 0, y: 0, width: img.width, height: img.height },
    spec.colorOrder,
    inputAffine(spec.normalization, spec.colorOrder, img.depth),
    src,
  );
  if (img.width === spec.size.width && img.height === spec.size.height) return src;
  return resizeBilinear(src, mc, img.width, img.height, spec.size.width, spec.size.height);
}

/** The input as 8-bit RGB with the mask colour blended in where the mask is set. */
function overlayImage(img: RawImage, region: Rect, mask: RawImage, params: SegParams): RawImage {
  const { overlayColor: color, overlayOpacity: a } = params.outputs;
  const n = region.width * region.height;
  const out = new Uint8Array(n * 3);
  const c = img.channels;
  const shift = img.depth === 16 ? 257 : 1;
  for (let y = 0; y < region.height; y++) {
    for (let x = 0; x < region.width; x++) {
      const s = ((region.y + y) * img.width + region.x + x) * c;
      const i = y * region.width + x;
      const d = i * 3;
      const r = (img.data[s] as number) / shift;
      const g = c >= 3 ? (img.data[s + 1] as number) / shift : r;
      const b = c >= 3 ? (img.data[s + 2] as number) / shift : r;
      const on = mask.data[i] ? a : 0;
      out[d] = Math.round(r * (1 - on) + color[0] * on);
      out[d + 1] = Math.round(g * (1 - on) + color[1] * on);
      out[d + 2] = Math.round(b * (1 - on) + color[2] * on);
    }
  }
  return { width: region.width, height: region.height, channels: 3, depth: 8, data: out };
}
