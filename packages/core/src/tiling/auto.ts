import { MIN_TILE } from "../spec/index";

/**
 * Largest tile side "auto" chooses for blended tiles, in input px. Beyond it the overlap
 * recomputed is a few percent. The task's lease no longer bounds it (heartbeats come from a
 * thread a model run does not block: apps/inference worker/lease-keeper.ts). What does is a
 * preview of a blended model: it computes the whole tiles under its crop within
 * PREVIEW_TIMEOUT_MS (20 s), and for Real-ESRGAN AnimeVideo v3 x4 on 2 cores a 1024 px tile
 * took 6-7 s idle and over 30 s at load 6, a 512 px tile a quarter of that.
 */
export const AUTO_MAX_TILE = 512;

/**
 * Largest tile side "auto" chooses for exactly tiled models (exact.ts), whose previews compute
 * only their own crop: memory bounds the tile, and this bounds how long a cancel or a progress
 * step waits for the tile in progress (Real-ESRGAN AnimeVideo v3 x4 on 2 idle cores: about 12 s
 * at 1536 px). Images up to this side run as one tile, as fast as an untiled run.
 */
export const AUTO_MAX_TILE_EXACT = 1536;

/**
 * Bytes onnxruntime needs per input pixel of a tile when the model's own figure is unknown:
 * input and output tensors plus working feature maps. 256 floats covers e.g. 64-channel feature
 * maps with a few alive at once; measured for Real-ESRGAN AnimeVideo v3 x4 on CPU (peak resident
 * growth of one run at 256, 512 and 1024 px): 1193-1214 bytes with onnxruntime's arena, ~700
 * without, against 1228 estimated here. Models that need far more (SwinIR's attention, deep
 * RRDB nets) bring their measured figure (`bytesPerPixel`, see pipeline/model.ts warmupFor).
 */
export function bytesPerTilePixel(inChannels: number, outChannels: number, scale: number): number {
  return 4 * (inChannels + outChannels * scale * scale + 256);
}

/**
 * Largest square tile whose working set (tile plus overlap on both sides) fits the budget,
 * rounded down to `multipleOf` and at most `maxTile`; a result >= the image side means
 * "one tile". The grid only changes when the number of tiles per axis does (splitAxis evens the
 * tiles out), so two processes with slightly different free memory plan the same tiles.
 */
export function autoTileSize(opts: {
  budgetBytes: number;
  inChannels: number;
  outChannels: number;
  scale: number;
  overlap: number;
  multipleOf?: number;
  /** The model's measured working memory per input pixel; counted when above the estimate. */
  bytesPerPixel?: number | undefined;
  /** Cap on the side: AUTO_MAX_TILE (default) or, for exactly tiled models, AUTO_MAX_TILE_EXACT. */
  maxTile?: number;
}): number {
  const m = opts.multipleOf ?? 1;
  // A measured figure only ever makes tiles smaller: the measurement (two small trial runs) can
  // come out low when the allocator reuses memory, and a tile that is too big fails the run.
  const perPixel = Math.max(
    bytesPerTilePixel(opts.inChannels, opts.outChannels, opts.scale),
    opts.bytesPerPixel ?? 0,
  );
  const side = Math.floor(Math.sqrt(opts.budgetBytes / perPixel)) - 2 * opts.overlap;
  const rounded = Math.floor(Math.min(opts.maxTile ?? AUTO_MAX_TILE, side) / m) * m;
  return Math.max(MIN_TILE, opts.overlap + 8, rounded);
}
