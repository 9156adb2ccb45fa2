import type { DecodedImage } from "../image/decode";
import { DEFAULT_PNG_LEVEL, encodePng, PngWriter } from "../image/encode";
import { type OutputDimensions, outputDimensions } from "../image/output-size";
import { resampleLanczos3 } from "../image/resample";
import { allocPixels, maxValue, type RawImage } from "../image/types";
import type { Device } from "../runtime/providers";
import { emptyTimings, type Timings, timed } from "../runtime/timings";
import { canonicalJson } from "../signature/index";
import {
  resolveTuning,
  type SuperResolutionParams as SrParams,
  SuperResolutionParams,
  type SuperResolutionSpec,
} from "../spec/index";
import {
  inputAffine,
  LUMA_B,
  LUMA_G,
  LUMA_R,
  modelChannels,
  quantise,
  type Rect,
} from "../tensor/index";
import { AUTO_MAX_TILE_EXACT } from "../tiling/auto";
import { exactSplit } from "../tiling/exact";
import { type AxisTiles, autoOverlap, splitAxis, splitOverlap } from "../tiling/grid";
import { type RowBlock, runTiled, type TiledRunResult, type TileRetry } from "../tiling/run";
import { applyTuning, MAX_TUNING_MARGIN, tuningMargin } from "../tuning/index";
import { copyCropRows, cropImage, extractChannel, upscaleAlpha, withAlpha } from "./alpha";
import { byteOutputAgrees, takesByteOutput } from "./byte-output";
import {
  checkRegion,
  expandRect,
  loadInput,
  resolveTile,
  runSignature,
  type TiledRunRequest,
} from "./common";
import { cutOutput, type ModelOutputCache } from "./output-cache";
import { exactOverlap, type SqueezeSyncedRun, syncSqueezeMeans } from "./squeeze-sync";

export interface SuperResolutionRequest extends TiledRunRequest<SuperResolutionSpec> {
  /** false skips PNG encoding (result.png is then empty). */
  encode?: boolean;
  /**
   * Previews: keeps the model's output of the crop (with room for any tuning) in `cache` under
   * `imageKey` (the image's sha256), and reuses it, so a preview that changes only the tuning
   * does not run the model. Ignored without `region`.
   */
  modelOutputCache?: { cache: ModelOutputCache; imageKey: string };
}

export interface TilingReport {
  requested: number | "auto" | "off";
  /** Tile side used in input px after auto sizing and any retries ("off" = one tile). */
  used: number | "off";
  overlap: number;
  /** Memory budget tile "auto" was sized for, in bytes. */
  budgetBytes?: number;
  tilesX: number;
  tilesY: number;
  tileCount: number;
  retries: TileRetry[];
  /** Global averages measured tile by tile before the run (squeeze-sync.ts), if any. */
  squeezeSync?: NonNullable<SqueezeSyncedRun["report"]>;
  /** Tiles cut with a receptive field of context: the output equals an untiled run's (exact.ts). */
  exact?: true;
}

/** What a tiled run reports, its stage times added to the run's `timings`. */
export function tiledRunReport(
  tiled: TiledRunResult,
  requested: TilingReport["requested"],
  overlap: number,
  timings: Timings,
  budgetBytes?: number,
): TilingReport {
  timings.preMs += tiled.preMs;
  timings.runMs += tiled.runMs;
  timings.postMs += tiled.postMs;
  return {
    requested,
    used: tiled.tile,
    overlap,
    ...(budgetBytes === undefined ? {} : { budgetBytes }),
    tilesX: tiled.tilesX,
    tilesY: tiled.tilesY,
    tileCount: tiled.tileCount,
    retries: tiled.retries,
  };
}

export interface SuperResolutionResult {
  image: RawImage;
  /** The PNG of `image` (empty when `encode` is false). */
  png: Buffer;
  /** The model's scale. */
  scale: number;
  /** The written size (params.output.size): its scale is `output.scale`. */
  output: OutputDimensions;
  /** The input's ICC profile when the pixels are still in its colour space (output.color keep). */
  icc?: Buffer;
  params: SrParams;
  signature: string;
  device: Device;
  timings: Timings;
  tiling: TilingReport;
  /** false when the model's output came from `modelOutputCache` (the model did not run). */
  modelRan: boolean;
  region?: Rect;
}

export async function runSuperResolution(
  req: SuperResolutionRequest,
): Promise<SuperResolutionResult> {
  const started = performance.now();
  const timings = emptyTimings();
  const { spec, runner } = req.model;
  if (spec.size.mode === "fixed") {
    throw new Error(
      "super-resolution models with a fixed input size are not supported; the model must accept any height and width",
    );
  }
  const params = SuperResolutionParams.parse(req.params ?? {});
  const signature = runSignature("super_resolution", params, req.model);
  const { output } = params;
  const img = await loadInput(
    req.input,
    { ...req.decode, keepProfile: output.color === "keep" },
    timings,
  );
  const region = checkRegion(req.region, img);
  const scale = spec.scale;
  // Refused before the model runs: a size larger than the model gives, or than the format holds.
  const dims = outputDimensions(img, scale, output.size, output.format);
  const tuning = resolveTuning(params.tuning);
  // Tuning, alpha and output resampling look at neighbours: compute a margin around a crop,
  // then cut. Resampling reads 3 lobes of its (stretched) kernel, plus a pixel's rounding, past
  // the crop's output pixels (see resampleSpan), and those must be tuned pixels.
  const alphaMargin = img.channels % 2 === 0 ? 4 : 0;
  const stretch = Math.max(1, (img.width * scale) / dims.width, (img.height * scale) / dims.height);
  const resampleMargin = dims.resampled ? Math.ceil((4 * stretch + 4) / scale) + 1 : 0;
  const marginIn = req.region
    ? Math.ceil(tuningMargin(tuning) / scale) + alphaMargin + resampleMargin
    : 0;
  const work = expandRect(region, marginIn, img.width, img.height);

  // Exact tiling (tiling/exact.ts) where the warm-up verified it and the overlap is left to us.
  const exact = params.overlap === "auto" && req.model.exactTiling === true;
  const split = exact ? exactSplit(spec.receptiveField) : undefined;
  const overlap =
    params.overlap !== "auto"
      ? params.overlap
      : split
        ? split.overlap
        : spec.globalPooling === "whole-image"
          ? exactOverlap(spec.receptiveField, params.tile, spec.size.multipleOf)
          : autoOverlap(spec.receptiveField);
  const mc = modelChannels(spec.colorOrder);
  const { multipleOf, minSize } = spec.size;
  const { tile, budgetBytes } = await resolveTile(params.tile, {
    budgetBytes:
      params.tileBudgetMB === undefined ? req.memoryBudgetBytes : params.tileBudgetMB * 1024 ** 2,
    device: runner.device,
    inChannels: mc,
    outChannels: mc,
    scale,
    overlap,
    multipleOf,
    bytesPerPixel: req.model.workingBytesPerPixel,
    ...(exact ? { maxTile: AUTO_MAX_TILE_EXACT } : {}),
  });
  const colorChannels = img.channels <= 2 ? 1 : 3;
  const cached = req.region ? req.modelOutputCache : undefined;
  // Everything the model's output of a region depends on besides the region itself.
  const cacheKey = cached
    ? canonicalJson({
        image: cached.imageKey,
        weight: req.model.weightSha256,
        spec,
        device: runner.device,
        // Exactly tiled output is the untiled output, whatever the tiles.
        tiling: exact ? "exact" : { tile, overlap },
        colorChannels,
        depth: img.depth,
        // Kept in its profile or converted to sRGB: different pixels from the same bytes.
        color: output.color,
      })
    : "";
  const hit = cached?.cache.get(cacheKey, work);
  if (hit) {
    const grid = (length: number) =>
      splitAxis(length, tile === "off" ? Number.POSITIVE_INFINITY : tile, overlap, multipleOf)
        .starts.length;
    const tiling: TilingReport = {
      requested: params.tile,
      used: tile,
      overlap,
      ...(budgetBytes === undefined ? {} : { budgetBytes }),
      tilesX: grid(img.width),
      tilesY: grid(img.height),
      tileCount: 0,
      retries: [],
      ...(exact ? { exact: true as const } : {}),
    };
    return finish(hit, tiling, false);
  }
  // A cached crop is computed with room for any tuning, so that any later tuning reuses it. A
  // blended one is kept whole for the tiles the model runs on anyway, so that other crops inside
  // them do too; an exact one is only its own window.
  const roomForAnyTuning = expandRect(
    region,
    Math.ceil(MAX_TUNING_MARGIN / scale) + alphaMargin + resampleMargin,
    img.width,
    img.height,
  );
  const computed = !cached
    ? work
    : exact
      ? roomForAnyTuning
      : tileCover(roomForAnyTuning, img, (length) =>
          splitAxis(length, tile === "off" ? Number.POSITIVE_INFINITY : tile, overlap, multipleOf),
        );
  let color: RawImage = {
    width: computed.width * scale,
    height: computed.height * scale,
    channels: colorChannels,
    depth: img.depth,
    data: allocPixels(img.depth, computed.width * scale * computed.height * scale * colorChannels),
  };
  const k = maxValue(img.depth) / (spec.outputRange === "0-255" ? 255 : 1);
  // 8-bit colour takes the graph's own 8-bit output where the session has one (byte-output.ts).
  const byteRows =
    img.depth === 8 && colorChannels === 3 && takesByteOutput(spec) && (await byteOutputAgrees());
  const affine = inputAffine(spec.normalization, spec.colorOrder, img.depth);
  // Exactly tiled runs add no border, so that the result is the model's own output on the image
  // (as the untiled run of Real-ESRGAN's inference script gives it, pre_pad 0), bit for bit, and
  // the model computes no more pixels than the image has. Blended tiles need their edge margins
  // outside the image.
  const borderPad = exact ? 0 : splitOverlap(overlap).margin;
  // Nets with global averages (Real-CUGAN, CUNet) get the whole image's, measured tile by tile.
  const synced = await syncSqueezeMeans({
    sync: req.model.squeezeSync,
    plain: runner,
    image: img,
    order: spec.colorOrder,
    affine,
    channels: mc,
    names: {
      ...(spec.inputName ? { input: spec.inputName } : {}),
      ...(spec.outputName ? { output: spec.outputName } : {}),
    },
    tile,
    overlap,
    borderPad,
    multipleOf,
    minSize,
    receptiveField: spec.receptiveField,
    region: computed,
    ...(cached ? { memoKey: cacheKey } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  const onProgress = synced?.onProgress ?? req.onProgress;
  const tiled = await runTiled({
    image: img,
    order: spec.colorOrder,
    affine,
    runner: synced?.runner ?? runner,
    scale,
    tile,
    overlap,
    borderPad,
    ...(exact ? { exactReceptiveField: spec.receptiveField } : {}),
    multipleOf,
    minSize,
    region: computed,
    channels: mc,
    sink: (rows, y, count) => writeRows(rows, y, count, color, mc, spec.colorOrder === "bgr", k),
    ...(byteRows
      ? {
          byteSink: (rows: RowBlock<Uint8Array>, rect: Rect) => {
            color = takeByteRect(rows, rect, color);
          },
        }
      : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  const tiling = tiledRunReport(tiled, params.tile, overlap, timings, budgetBytes);
  if (exact) tiling.exact = true;
  if (synced?.report) {
    timings.runMs += synced.runMs;
    timings.preMs += synced.preMs;
    tiling.squeezeSync = synced.report;
  }
  if (cached) {
    // A run that had to shrink its tiles computed other pixels than its key promises.
    if (tiled.retries.length === 0) cached.cache.set(cacheKey, computed, scale, color);
    color = cutOutput(color, scale, computed, work);
  }
  return finish(color, tiling, true);

  /** Tuning, alpha, crop and PNG of the model's output `color` for rect `work`. */
  async function finish(
    color: RawImage,
    tiling: TilingReport,
    modelRan: boolean,
  ): Promise<SuperResolutionResult> {
    const pngOptions = { compressionLevel: req.pngCompressionLevel ?? DEFAULT_PNG_LEVEL };
    // A crop's output pixels within `color`.
    const cut = req.region
      ? {
          x: (region.x - work.x) * scale,
          y: (region.y - work.y) * scale,
          width: region.width * scale,
          height: region.height * scale,
        }
      : undefined;
    // Without alpha to add back or resampling, the PNG is the tuned pixels as they are (a
    // crop's cut out as its rows are final): each strip is compressed (on the PNG writer's
    // threads, for a large image) while the next one is tuned.
    const shown: RawImage | undefined =
      req.encode !== false && colorChannels === img.channels && !dims.resampled
        ? cut
          ? {
              ...color,
              width: cut.width,
              height: cut.height,
              data: allocPixels(color.depth, cut.width * cut.height * color.channels),
            }
          : color
        : undefined;
    const writer = shown ? new PngWriter(shown, pngOptions) : null;
    let streamed = false;
    let out = await timed(timings, "postMs", async () => {
      let result = await applyTuning(color, tuning, {
        inPlace: true,
        ...(writer && shown
          ? {
              onRows: (tuned: RawImage, y0: number, y1: number) => {
                streamed = true;
                if (!cut) return writer.addRows(tuned.data, y0, y1);
                const from = Math.max(0, y0 - cut.y);
                const to = Math.min(cut.height, y1 - cut.y);
                if (from >= to) return;
                copyCropRows(tuned, cut, shown, from, to);
                writer.addRows(shown.data, from, to);
              },
            }
          : {}),
      });
      if (colorChannels !== img.channels) {
        const alpha = await upscaleAlpha(extractChannel(img, img.channels - 1, work), scale);
        result = withAlpha(result, alpha);
      }
      return result;
    });
    if (dims.resampled) {
      out = await timed(timings, "postMs", async () =>
        resampleLanczos3(
          out,
          {
            x: work.x * scale,
            y: work.y * scale,
            width: work.width * scale,
            height: work.height * scale,
          },
          { width: img.width * scale, height: img.height * scale },
          dims,
          outputRect(region, img, dims),
        ),
      );
    } else if (cut) {
      out = streamed && shown ? shown : cropImage(out, cut);
    }
    const png =
      req.encode === false
        ? Buffer.alloc(0)
        : await timed(timings, "encodeMs", () =>
            writer && streamed ? writer.finish() : encodePng(out, pngOptions),
          );
    timings.totalMs = performance.now() - started;
    return {
      image: out,
      png,
      scale,
      output: dims,
      ...((img as DecodedImage).icc ? { icc: (img as DecodedImage).icc } : {}),
      params,
      signature,
      device: runner.device,
      timings,
      tiling,
      modelRan,
      ...(req.region ? { region } : {}),
    };
  }
}

/** The output pixels a crop of the input covers in a result resized to `out`. */
export function outputRect(
  region: Rect,
  input: { width: number; height: number },
  out: { width: number; height: number },
): Rect {
  const fx = out.width / input.width;
  const fy = out.height / input.height;
  const x = Math.min(out.width - 1, Math.floor(region.x * fx));
  const y = Math.min(out.height - 1, Math.floor(region.y * fy));
  const x1 = Math.max(x + 1, Math.min(out.width, Math.ceil((region.x + region.width) * fx)));
  const y1 = Math.max(y + 1, Math.min(out.height, Math.ceil((region.y + region.height) * fy)));
  return { x, y, width: x1 - x, height: y1 - y };
}

/** The input rect of the tiles of the grid that `rect` touches (their cores' extent). */
function tileCover(
  rect: Rect,
  img: { width: number; height: number },
  axisFor: (length: number) => AxisTiles,
): Rect {
  const span = (from: number, length: number, axis: AxisTiles): [number, number] => {
    let lo = from;
    let hi = from + length;
    for (let i = 0; i < axis.starts.length; i++) {
      const start = axis.starts[i] as number;
      const end = start + (axis.sizes[i] as number);
      if (start < from + length && end > from) {
        lo = Math.min(lo, start);
        hi = Math.max(hi, end);
      }
    }
    return [lo, hi];
  };
  const [x0, x1] = span(rect.x, rect.width, axisFor(img.width));
  const [y0, y1] = span(rect.y, rect.height, axisFor(img.height));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * One row of writeRows' common case. A function of its own is optimised after a few rows,
 * where one loop over a whole image would run unoptimised for much of the first task.
 */
function quantiseRow8(
  src: Float32Array,
  s: number,
  at: { r0: number; g0: number; b0: number; step: number; scale: number },
  c8: Uint8ClampedArray,
  o: number,
  w: number,
) {
  const { r0, g0, b0, step, scale } = at;
  for (let x = 0; x < w; x++, s += step, o += 3) {
    c8[o] = Math.fround((src[s + r0] as number) / scale);
    c8[o + 1] = Math.fround((src[s + g0] as number) / scale);
    c8[o + 2] = Math.fround((src[s + b0] as number) / scale);
  }
}

/**
 * A rect of 8-bit interleaved pixels from the graph (a RowBlock of its [1, H, W, C] output,
 * starting at the rect's first pixel) into `dest` (RGB). A rect that is the whole image, given
 * as the whole output, becomes its pixels as they are; others are copied row by row (pixel by
 * pixel from a model that gives more than 3 channels).
 */
export function takeByteRect(rows: RowBlock<Uint8Array>, rect: Rect, dest: RawImage): RawImage {
  const { data, offset, rowStride, pixelStride } = rows;
  const destRow = dest.width * 3;
  if (
    rect.width === dest.width &&
    rect.height === dest.height &&
    offset === 0 &&
    pixelStride === 3 &&
    rowStride === destRow &&
    data.length === dest.data.length
  ) {
    return { ...dest, data };
  }
  const d = dest.data as Uint8Array;
  const rectBytes = rect.width * 3;
  for (let r = 0; r < rect.height; r++) {
    const from = offset + r * rowStride;
    const to = (rect.y + r) * destRow + rect.x * 3;
    if (pixelStride === 3) {
      d.set(data.subarray(from, from + rectBytes), to);
      continue;
    }
    for (let x = 0; x < rect.width; x++) {
      for (let c = 0; c < 3; c++) d[to + 3 * x + c] = data[from + x * pixelStride + c] as number;
    }
  }
  return dest;
}

/** Finished float rows (model channel order) -> quantised output pixels. */
export function writeRows(
  rows: RowBlock,
  y: number,
  count: number,
  dest: RawImage,
  mc: number,
  bgr: boolean,
  k: number,
) {
  const max = maxValue(dest.depth);
  const { data: src, rowStride, pixelStride: step, planeStride } = rows;
  const d = dest.data;
  const w = dest.width;
  const gray = dest.channels !== 3;
  // Offsets of R, G and B from a pixel's first sample.
  const r0 = mc === 1 ? 0 : (bgr ? 2 : 0) * planeStride;
  const g0 = mc === 1 ? 0 : planeStride;
  const b0 = mc === 1 ? 0 : (bgr ? 0 : 2) * planeStride;
  let o = y * w * dest.channels;
  if (dest.depth === 8 && !gray) {
    // The common case: quantiseByte's arithmetic (as the graph's 8-bit output computes it),
    // the clamped store rounding half to even and clamping in one machine step.
    const c8 = new Uint8ClampedArray(d.buffer, d.byteOffset, d.length);
    const at = { r0, g0, b0, step, scale: Math.fround(1 / k) };
    for (let row = 0; row < count; row++, o += w * 3) {
      quantiseRow8(src, rows.offset + row * rowStride, at, c8, o, w);
    }
    return;
  }
  for (let row = 0; row < count; row++) {
    let s = rows.offset + row * rowStride;
    for (let x = 0; x < w; x++, s += step) {
      const r = src[s + r0] as number;
      const g = src[s + g0] as number;
      const b = src[s + b0] as number;
      if (gray) {
        d[o++] = quantise((mc === 1 ? r : LUMA_R * r + LUMA_G * g + LUMA_B * b) * k, max);
      } else {
        d[o++] = quantise(r * k, max);
        d[o++] = quantise(g * k, max);
        d[o++] = quantise(b * k, max);
      }
    }
  }
}
