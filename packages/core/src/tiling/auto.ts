import { MIN_TILE } from "../spec/index";

/**
 * Largest tile side "auto" chooses, in input px. Images up to this side run as one tile; beyond
 * it the overlap recomputed is a few percent. The cap is set by what one onnxruntime run blocks:
 * onnxruntime-node holds the worker's event loop for a whole run, so the task's lease heartbeat
 * waits for the tile, and a tile must end well inside the lease (30 s) on a slow or busy CPU
 * too. Measured for Real-ESRGAN AnimeVideo v3 x4 on 2 cores: a 1024 px tile took 6-7 s idle and
 * over 30 s at load 6 (the lease expired); 512 px takes a quarter of that. A preview, which
 * computes the tiles under its crop, and onnxruntime's arena stay bounded by it as well.
 */
export const AUTO_MAX_TILE = 512;

/**
 * Bytes onnxruntime needs per input pixel of a tile: input and output tensors plus working
 * feature maps. 256 floats covers e.g. 64-channel feature maps with a few alive at once;
 * measured for Real-ESRGAN AnimeVideo v3 x4 on CPU (peak resident growth of one run at 256,
 * 512 and 1024 px): 1193-1214 bytes, against 1228 estimated here.
 */
export function bytesPerTilePixel(inChannels: number, outChannels: number, scale: number): number {
  return 4 * (inChannels + outChannels * scale * scale + 256);
}

/**
 * Largest square tile whose working set (tile plus overlap on both sides) fits the budget,
 * rounded down to `multipleOf` and at most AUTO_MAX_TILE; a result >= the image side means
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
}): number {
  const m = opts.multipleOf ?? 1;
  const perPixel = bytesPerTilePixel(opts.inChannels, opts.outChannels, opts.scale);
  const side = Math.floor(Math.sqrt(opts.budgetBytes / perPixel)) - 2 * opts.overlap;
  const rounded = Math.floor(Math.min(AUTO_MAX_TILE, side) / m) * m;
  return Math.max(MIN_TILE, opts.overlap + 8, rounded);
}
