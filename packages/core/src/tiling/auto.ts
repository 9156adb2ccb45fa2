import { MAX_TILE, MIN_TILE } from "../spec/index";

/**
 * Bytes onnxruntime needs per input pixel of a tile: input and output tensors plus working
 * feature maps. 256 floats covers e.g. 64-channel feature maps with a few alive at once
 * (Real-ESRGAN compact); it is deliberately generous.
 */
export function bytesPerTilePixel(inChannels: number, outChannels: number, scale: number): number {
  return 4 * (inChannels + outChannels * scale * scale + 256);
}

/**
 * Largest square tile whose working set (tile plus overlap on both sides) fits the budget,
 * rounded down to `multipleOf`; a result >= the image side means "one tile".
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
  const rounded = Math.floor(side / m) * m;
  return Math.max(Math.max(MIN_TILE, opts.overlap + 8), Math.min(MAX_TILE, rounded));
}
