import type { RawImage } from "../image/types";
import { isAllocationFailure } from "../runtime/errors";
import type { ModelRunner, TensorOut } from "../runtime/runner";
import type { ColorOrder } from "../spec/index";
import { type Affine, fillTensorRegion, modelChannels, type Rect } from "../tensor/index";
import { exactSplit, exactWindow } from "./exact";
import { type AxisTiles, axisWeights, splitAxis, splitOverlap } from "./grid";

export interface TileProgress {
  done: number;
  total: number;
  /** Tile side actually used (after any allocation-failure retries). */
  tile: number;
}

export interface TileRetry {
  from: number;
  to: number;
  reason: string;
}

export interface TiledRunOptions {
  image: RawImage;
  order: ColorOrder;
  affine: Affine;
  runner: ModelRunner;
  /** Integer output/input size ratio the model must produce. */
  scale: number;
  /** Tile side in input px, or "off" for one tile covering the image. */
  tile: number | "off";
  overlap: number;
  /**
   * Context mirrored in at image borders: the blend margin where tiles are blended (an edge
   * tile's margin must lie outside the image); 0 with exact tiling, whose run is then the model's
   * own run on the image.
   */
  borderPad: number;
  /**
   * Exact tiling (exact.ts) with this receptive field: tiles are cut, not blended (exactSplit;
   * `overlap` must be its overlap), and a `region` is computed from its own window rather than
   * from the full image's tiles under it, with the same result.
   */
  exactReceptiveField?: number;
  multipleOf?: number;
  minSize?: number;
  /** Smallest tile the allocation-failure retry may halve down to. */
  minTile?: number;
  /** Crop of the input to compute (previews); the grid is still the full image's. */
  region?: Rect;
  /** Channels accumulated per pixel (after `convert`). */
  channels: number;
  /**
   * Turns one tile's model output [1, C, h, w] into `channels` planes of h x w in `dest`
   * (e.g. activation for segmentation). Default: copy the planes.
   */
  convert?: (out: TensorOut, dest: Float32Array, plane: number) => void;
  /** Receives finished output rows [y, y + rowCount) of the region. */
  sink: (rows: RowBlock, y: number, rowCount: number) => void;
  /**
   * Takes the output instead of `sink` where no tile is blended (one tile, or exact tiling) and
   * the runner has an 8-bit output (`runBytes`): each tile's finished rect, x and y relative to
   * the region's output, with the model's samples already quantised and interleaved
   * (`pixelStride` samples a pixel, of which the first `channels` count; `rows` starts at the
   * rect's first pixel). Rects come in no particular order; `convert` must be absent.
   */
  byteSink?: (rows: RowBlock<Uint8Array>, rect: Rect) => void;
  onProgress?: (p: TileProgress) => void;
  signal?: AbortSignal;
}

/**
 * Finished output rows: channel c of pixel x in row r is
 * `data[offset + r * rowStride + x * pixelStride + c * planeStride]`. Blended rows come
 * interleaved; a single tile is handed over in the model's planar layout without a copy, and the
 * graph's 8-bit output (`byteSink`) in its interleaved layout.
 */
export interface RowBlock<Data extends Float32Array | Uint8Array = Float32Array> {
  data: Data;
  offset: number;
  rowStride: number;
  pixelStride: number;
  planeStride: number;
}

export interface TiledRunResult {
  tile: number | "off";
  tilesX: number;
  tilesY: number;
  tileCount: number;
  retries: TileRetry[];
  runMs: number;
  preMs: number;
  postMs: number;
}

interface TileGeom {
  /** Tile starts are relative to `extent`'s origin. */
  x: AxisTiles;
  y: AxisTiles;
}

export function gridFor(
  extent: { width: number; height: number },
  tile: number | "off",
  overlap: number,
  multipleOf: number,
): TileGeom {
  const t = tile === "off" ? Number.POSITIVE_INFINITY : tile;
  return {
    x: splitAxis(extent.width, t, overlap, multipleOf),
    y: splitAxis(extent.height, t, overlap, multipleOf),
  };
}

/**
 * One tile's model input: the image's pixels in the rect spanned by `rx` and `ry`, written into
 * the front of a buffer reused from tile to tile (no allocation per tile).
 */
export function fillTileInput(
  image: RawImage,
  rx: { from: number; size: number },
  ry: { from: number; size: number },
  pixel: { channels: number; order: ColorOrder; affine: Affine },
  buffer: Float32Array,
): Float32Array {
  return fillTensorRegion(
    image,
    { x: rx.from, y: ry.from, width: rx.size, height: ry.size },
    pixel.order,
    pixel.affine,
    buffer.subarray(0, pixel.channels * rx.size * ry.size),
  );
}

/** Model input rect for a tile core: border context mirrored in, padded to the size rules. */
export function inputRect(
  start: number,
  size: number,
  length: number,
  pad: number,
  multipleOf: number,
  minSize: number,
): { from: number; size: number; lead: number } {
  const lead = start === 0 ? pad : 0;
  const trail = start + size >= length ? pad : 0;
  let total = lead + size + trail;
  total = Math.max(total, minSize);
  total = Math.ceil(total / multipleOf) * multipleOf;
  return { from: start - lead, size: total, lead };
}

/**
 * Runs the model over overlapping tiles and blends them into finished rows. The result of a
 * pixel depends only on the full-image grid, never on `region`, so a preview of a crop equals
 * the same crop of the full run bit for bit.
 */
export async function runTiled(opts: TiledRunOptions): Promise<TiledRunResult> {
  let tile = opts.tile;
  const retries: TileRetry[] = [];
  const m = opts.multipleOf ?? 1;
  // Smallest tile splitAxis accepts for this overlap and alignment, with some room to spare.
  const floor = Math.ceil(Math.max(opts.minTile ?? 32, opts.overlap + m + 8) / m) * m;
  for (;;) {
    try {
      const res = await runGrid(opts, tile);
      return { ...res, retries };
    } catch (err) {
      if (!isAllocationFailure(err)) throw err;
      const current = tile === "off" ? Math.max(opts.image.width, opts.image.height) : tile;
      const next = Math.max(floor, Math.floor(current / 2));
      if (current <= floor) {
        throw new Error(
          `out of memory even with tile ${current} px (floor ${floor} px): ${(err as Error).message}`,
        );
      }
      retries.push({
        from: current,
        to: next,
        reason: (err as Error).message.split("\n")[0] ?? "",
      });
      tile = next;
    }
  }
}

async function runGrid(
  opts: TiledRunOptions,
  tile: number | "off",
): Promise<Omit<TiledRunResult, "retries">> {
  const { image, scale, channels: C } = opts;
  const multipleOf = opts.multipleOf ?? 1;
  const minSize = opts.minSize ?? 1;
  const whole = { x: 0, y: 0, width: image.width, height: image.height };
  const region = opts.region ?? whole;
  // The part of the image the tiles cover: all of it, or with exact tiling a crop's own window.
  const extent =
    opts.exactReceptiveField !== undefined && opts.region
      ? exactWindow(region, image, opts.exactReceptiveField, multipleOf, minSize)
      : whole;
  const grid = gridFor(extent, tile, opts.overlap, multipleOf);
  // Lead padding keeps tile input starts on the same multipleOf grid as an untiled run.
  const borderPad = Math.ceil(opts.borderPad / multipleOf) * multipleOf;
  const split =
    opts.exactReceptiveField !== undefined
      ? exactSplit(opts.exactReceptiveField)
      : splitOverlap(opts.overlap);
  const wx = axisWeights(grid.x, scale, split);
  const wy = axisWeights(grid.y, scale, split);
  // Output-space bounds of what we must produce.
  const ox0 = region.x * scale;
  const oy0 = region.y * scale;
  const ow = region.width * scale;
  const oh = region.height * scale;
  const cols = tilesCovering(grid.x, region.x - extent.x, region.width);
  const rows = tilesCovering(grid.y, region.y - extent.y, region.height);
  const total = cols.length * rows.length;
  const tileOutH = grid.y.size * scale;
  // A band of output rows as tall as one tile row: rows above the next tile row are final.
  // One tile for the whole image has weight 1 everywhere: its output is final as it comes.
  const singleTile = grid.x.starts.length === 1 && grid.y.starts.length === 1;
  const { runner } = opts;
  // Exact tiles are cut, not blended (weights 0 or 1): their 8-bit output is final as it comes.
  const bytes =
    (singleTile || opts.exactReceptiveField !== undefined) &&
    opts.byteSink &&
    runner.runBytes &&
    !opts.convert
      ? { run: runner.runBytes.bind(runner), sink: opts.byteSink }
      : undefined;
  const tileSide = tile === "off" ? Math.max(image.width, image.height) : tile;
  const bandH = singleTile || bytes ? 0 : Math.min(oh, tileOutH);
  const band = new Float32Array(bandH * ow * C);
  let bandTop = oy0;
  const mc = modelChannels(opts.order);
  const pixel = { channels: mc, order: opts.order, affine: opts.affine };
  const tileIn = new Float32Array(
    mc *
      (grid.x.size + 2 * borderPad + multipleOf + minSize) *
      (grid.y.size + 2 * borderPad + multipleOf + minSize),
  );
  let converted = new Float32Array(0);
  let done = 0;
  let runMs = 0;
  let preMs = 0;
  let postMs = 0;

  const flushUntil = (yEnd: number) => {
    const n = Math.min(yEnd, oy0 + oh) - bandTop;
    if (n <= 0) return;
    opts.sink(
      { data: band, offset: 0, rowStride: ow * C, pixelStride: C, planeStride: 1 },
      bandTop - oy0,
      n,
    );
    band.copyWithin(0, n * ow * C);
    band.fill(0, (bandH - n) * ow * C);
    bandTop += n;
  };

  for (const j of rows) {
    const ty = extent.y + (grid.y.starts[j] as number);
    const th = grid.y.sizes[j] as number;
    if (!bytes) flushUntil(ty * scale);
    const ry = inputRect(ty, th, image.height, borderPad, multipleOf, minSize);
    const wRow = wy[j] as Float32Array;
    for (const i of cols) {
      opts.signal?.throwIfAborted();
      const tx = extent.x + (grid.x.starts[i] as number);
      const tw = grid.x.sizes[i] as number;
      const rx = inputRect(tx, tw, image.width, borderPad, multipleOf, minSize);
      let t0 = performance.now();
      const input = fillTileInput(image, rx, ry, pixel, tileIn);
      let t1 = performance.now();
      preMs += t1 - t0;
      const inDims = [1, mc, ry.size, rx.size];
      if (bytes) {
        const out = await bytes.run(input, inDims);
        t0 = performance.now();
        runMs += t0 - t1;
        // [1, H, W, C]: interleaved.
        const [, outH = 0, outW = 0, outC = 0] = out.dims;
        checkOutputSize(out.dims, outH, outW, inDims, scale);
        if (outC < C) throw new Error(`model output has ${outC} channels, expected ${C}`);
        // The output pixels this tile has weight in, within the region (output coordinates).
        const [x0, x1] = ownedSpan(wx[i] as Float32Array, tx * scale, ox0, ow);
        const [y0, y1] = ownedSpan(wRow, ty * scale, oy0, oh);
        if (x0 < x1 && y0 < y1) {
          bytes.sink(
            {
              data: out.data,
              offset: ((y0 - ry.from * scale) * outW + x0 - rx.from * scale) * outC,
              rowStride: outW * outC,
              pixelStride: outC,
              planeStride: 1,
            },
            { x: x0 - ox0, y: y0 - oy0, width: x1 - x0, height: y1 - y0 },
          );
        }
        postMs += performance.now() - t0;
        done++;
        opts.onProgress?.({ done, total, tile: tileSide });
        continue;
      }
      const out = await opts.runner.run(input, inDims);
      t0 = performance.now();
      runMs += t0 - t1;
      const [, , outH = 0, outW = 0] = out.dims;
      checkOutputSize(out.dims, outH, outW, inDims, scale);
      const plane = outH * outW;
      let planes: Float32Array = out.data;
      if (opts.convert) {
        if (converted.length < C * plane) converted = new Float32Array(C * plane);
        opts.convert(out, converted, plane);
        planes = converted;
      } else if ((out.dims[1] ?? 0) < C) {
        throw new Error(`model output has ${out.dims[1]} channels, expected ${C}`);
      }
      if (singleTile) {
        opts.sink(
          {
            data: planes,
            offset: (oy0 - ry.from * scale) * outW + ox0 - rx.from * scale,
            rowStride: outW,
            pixelStride: 1,
            planeStride: plane,
          },
          0,
          oh,
        );
        bandTop = oy0 + oh;
      } else {
        accumulate(
          planes,
          plane,
          outW,
          rx.lead * scale,
          ry.lead * scale,
          C,
          {
            x0: tx * scale,
            y0: ty * scale,
            w: tw * scale,
            h: th * scale,
          },
          wx[i] as Float32Array,
          wRow,
          band,
          ox0,
          bandTop,
          ow,
          bandH,
        );
      }
      t1 = performance.now();
      postMs += t1 - t0;
      done++;
      opts.onProgress?.({ done, total, tile: tileSide });
    }
  }
  if (!bytes) flushUntil(oy0 + oh);
  return {
    tile,
    tilesX: grid.x.starts.length,
    tilesY: grid.y.starts.length,
    tileCount: done,
    runMs,
    preMs,
    postMs,
  };
}

/**
 * The output span [from, to) where a cut tile has weight (`weights`, its core from
 * `coreStart`), within [regionStart, regionStart + regionLength). Where two exact tiles both
 * have some (the last tile of an axis may overlap its neighbour by more), both give the
 * untiled value: either may write it.
 */
function ownedSpan(
  weights: Float32Array,
  coreStart: number,
  regionStart: number,
  regionLength: number,
): [number, number] {
  let lo = 0;
  while (lo < weights.length && weights[lo] === 0) lo++;
  let hi = weights.length;
  while (hi > lo && weights[hi - 1] === 0) hi--;
  return [
    Math.max(coreStart + lo, regionStart),
    Math.min(coreStart + hi, regionStart + regionLength),
  ];
}

function checkOutputSize(
  dims: readonly number[],
  outH: number,
  outW: number,
  inDims: readonly number[],
  scale: number,
) {
  if (
    dims.length !== 4 ||
    outH !== (inDims[2] as number) * scale ||
    outW !== (inDims[3] as number) * scale
  ) {
    throw new Error(
      `model output [${dims.join(",")}] for input [${inDims.join(",")}] is not ${scale}x the input size`,
    );
  }
}

export function tilesCovering(axis: AxisTiles, from: number, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < axis.starts.length; i++) {
    const s = axis.starts[i] as number;
    if (s < from + length && s + (axis.sizes[i] as number) > from) out.push(i);
  }
  return out;
}

/** Adds weight * value for the tile core's intersection with the band (interleaved). */
function accumulate(
  planes: Float32Array,
  plane: number,
  planeW: number,
  offX: number,
  offY: number,
  C: number,
  core: { x0: number; y0: number; w: number; h: number },
  wx: Float32Array,
  wy: Float32Array,
  band: Float32Array,
  bandX0: number,
  bandY0: number,
  bandW: number,
  bandH: number,
) {
  const xa = Math.max(core.x0, bandX0);
  const xb = Math.min(core.x0 + core.w, bandX0 + bandW);
  const ya = Math.max(core.y0, bandY0);
  const yb = Math.min(core.y0 + core.h, bandY0 + bandH);
  if (xa >= xb || ya >= yb) return;
  for (let y = ya; y < yb; y++) {
    const cy = y - core.y0;
    const wyv = wy[cy] as number;
    if (wyv === 0) continue;
    const srcRow = (cy + offY) * planeW + offX;
    let d = ((y - bandY0) * bandW + (xa - bandX0)) * C;
    if (C === 3) {
      // Unrolled for colour output, the hot loop of every super-resolution run.
      const p0 = srcRow - core.x0;
      const p1 = p0 + plane;
      const p2 = p1 + plane;
      for (let x = xa; x < xb; x++, d += 3) {
        const w = wyv * (wx[x - core.x0] as number);
        band[d] = (band[d] as number) + w * (planes[p0 + x] as number);
        band[d + 1] = (band[d + 1] as number) + w * (planes[p1 + x] as number);
        band[d + 2] = (band[d + 2] as number) + w * (planes[p2 + x] as number);
      }
      continue;
    }
    for (let x = xa; x < xb; x++) {
      const cx = x - core.x0;
      const w = wyv * (wx[cx] as number);
      const s = srcRow + cx;
      for (let c = 0; c < C; c++, d++)
        band[d] = (band[d] as number) + w * (planes[c * plane + s] as number);
    }
  }
}
