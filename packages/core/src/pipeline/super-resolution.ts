import type { DecodeOptions } from "../image/decode";
import { DEFAULT_PNG_LEVEL, encodePng, PngWriter } from "../image/encode";
import { allocPixels, maxValue, type RawImage } from "../image/types";
import type { Device } from "../runtime/providers";
import { emptyTimings, type Timings, timed } from "../runtime/timings";
import {
  type Region,
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
import { autoTileSize } from "../tiling/auto";
import { autoOverlap, splitOverlap } from "../tiling/grid";
import {
  type RowBlock,
  runTiled,
  type TiledRunResult,
  type TileProgress,
  type TileRetry,
} from "../tiling/run";
import { applyTuning, tuningMargin } from "../tuning/index";
import { cropImage, extractChannel, upscaleAlpha, withAlpha } from "./alpha";
import { checkRegion, expandRect, type ImageInput, loadInput, runSignature } from "./common";
import type { PreparedModel } from "./model";

export interface SuperResolutionRequest {
  model: PreparedModel<SuperResolutionSpec>;
  input: ImageInput;
  /** Validated and defaulted here (SuperResolutionParams). */
  params?: unknown;
  /** Crop of the input (preview); output is exactly that crop of the full result. */
  region?: Region;
  decode?: DecodeOptions;
  /**
   * zlib level of the PNGs (all lossless; pixels and signature do not depend on it). Default 1:
   * about 40% faster than 6 for ~12% larger files.
   */
  pngCompressionLevel?: number;
  /** false skips PNG encoding (result.png is then empty). */
  encode?: boolean;
  onProgress?: (p: TileProgress) => void;
  signal?: AbortSignal;
}

export interface TilingReport {
  requested: number | "auto" | "off";
  /** Tile side used in input px after auto sizing and any retries ("off" = one tile). */
  used: number | "off";
  overlap: number;
  tilesX: number;
  tilesY: number;
  tileCount: number;
  retries: TileRetry[];
}

/** What a tiled run reports, its stage times added to the run's `timings`. */
export function tiledRunReport(
  tiled: TiledRunResult,
  requested: TilingReport["requested"],
  overlap: number,
  timings: Timings,
): TilingReport {
  timings.preMs += tiled.preMs;
  timings.runMs += tiled.runMs;
  timings.postMs += tiled.postMs;
  return {
    requested,
    used: tiled.tile,
    overlap,
    tilesX: tiled.tilesX,
    tilesY: tiled.tilesY,
    tileCount: tiled.tileCount,
    retries: tiled.retries,
  };
}

export interface SuperResolutionResult {
  image: RawImage;
  png: Buffer;
  scale: number;
  params: SrParams;
  signature: string;
  device: Device;
  timings: Timings;
  tiling: TilingReport;
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
  const img = await loadInput(req.input, req.decode, timings);
  const region = checkRegion(req.region, img);
  const scale = spec.scale;
  const tuning = resolveTuning(params.tuning);
  // Tuning and alpha resampling look at neighbours: compute a margin around a crop, then cut.
  const marginIn = req.region
    ? Math.ceil(tuningMargin(tuning) / scale) + (img.channels % 2 === 0 ? 4 : 0)
    : 0;
  const work = expandRect(region, marginIn, img.width, img.height);

  const overlap = params.overlap === "auto" ? autoOverlap(spec.receptiveField) : params.overlap;
  const mc = modelChannels(spec.colorOrder);
  const { multipleOf, minSize } = spec.size;
  const tile =
    params.tile === "auto"
      ? autoTileSize({
          budgetBytes: params.tileBudgetMB * 1024 * 1024,
          inChannels: mc,
          outChannels: mc,
          scale,
          overlap,
          multipleOf,
        })
      : params.tile;
  const colorChannels = img.channels <= 2 ? 1 : 3;
  const color: RawImage = {
    width: work.width * scale,
    height: work.height * scale,
    channels: colorChannels,
    depth: img.depth,
    data: allocPixels(img.depth, work.width * scale * work.height * scale * colorChannels),
  };
  const k = maxValue(img.depth) / (spec.outputRange === "0-255" ? 255 : 1);
  const tiled = await runTiled({
    image: img,
    order: spec.colorOrder,
    affine: inputAffine(spec.normalization, spec.colorOrder, img.depth),
    runner,
    scale,
    tile,
    overlap,
    borderPad: splitOverlap(overlap).margin,
    multipleOf,
    minSize,
    region: work,
    channels: mc,
    sink: (rows, y, count) => writeRows(rows, y, count, color, mc, spec.colorOrder === "bgr", k),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  const tiling = tiledRunReport(tiled, params.tile, overlap, timings);

  const pngOptions = { compressionLevel: req.pngCompressionLevel ?? DEFAULT_PNG_LEVEL };
  // Without alpha to add back or a crop to cut, the PNG is the tuned pixels as they are:
  // compress each strip on the thread pool while the next one is tuned.
  const writer =
    req.encode !== false && !req.region && colorChannels === img.channels
      ? new PngWriter(color, pngOptions)
      : null;
  let streamed = false;
  let out = await timed(timings, "postMs", async () => {
    let result = await applyTuning(color, tuning, {
      inPlace: true,
      ...(writer
        ? {
            onRows: (tuned: RawImage, y0: number, y1: number) => {
              writer.addRows(tuned.data, y0, y1);
              streamed = true;
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
  if (req.region) {
    out = cropImage(out, {
      x: (region.x - work.x) * scale,
      y: (region.y - work.y) * scale,
      width: region.width * scale,
      height: region.height * scale,
    });
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
    params,
    signature,
    device: runner.device,
    timings,
    tiling,
    ...(req.region ? { region } : {}),
  };
}

/** Finished float rows (model channel order) -> quantised output pixels. */
function writeRows(
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
    // The common case. A clamped store rounds and clamps in one machine step (ties to even; a
    // float32 times 255 is never exactly halfway, so this equals quantise for 0-1 models).
    const c8 = new Uint8ClampedArray(d.buffer, d.byteOffset, d.length);
    for (let row = 0; row < count; row++) {
      let s = rows.offset + row * rowStride;
      for (let x = 0; x < w; x++, s += step, o += 3) {
        c8[o] = (src[s + r0] as number) * k;
        c8[o + 1] = (src[s + g0] as number) * k;
        c8[o + 2] = (src[s + b0] as number) * k;
      }
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
