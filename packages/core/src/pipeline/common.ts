import { type DecodeOptions, decodeImage } from "../image/decode";
import type { RawImage } from "../image/types";
import { runMemoryBudget } from "../runtime/memory";
import type { Device } from "../runtime/providers";
import { type Timings, timed } from "../runtime/timings";
import { parameterSignature } from "../signature/index";
import type { ModelSpec, Region, TaskKind, TileSetting } from "../spec/index";
import type { Rect } from "../tensor/index";
import { autoTileSize } from "../tiling/auto";
import type { TileProgress } from "../tiling/run";
import type { PreparedModel } from "./model";

/** Encoded bytes (decoded here, timed) or already decoded pixels. */
export type ImageInput = Uint8Array | RawImage;

/** What a tiled run (segmentation, super-resolution) is asked: one image, its model, options. */
export interface TiledRunRequest<S extends ModelSpec> {
  model: PreparedModel<S>;
  input: ImageInput;
  /** Validated and defaulted by the run (its params schema). */
  params?: unknown;
  /** Crop of the input (preview); the output is exactly that crop of the full result. */
  region?: Region;
  decode?: DecodeOptions;
  /**
   * Memory for tile "auto" when the params do not set a budget; default: a share of what the
   * device has free now (runtime/memory.ts). Not part of the signature, like the device.
   */
  memoryBudgetBytes?: number;
  /**
   * zlib level of the PNGs (all lossless; pixels and signature do not depend on it). Default 1:
   * about 40% faster than 6 for ~12% larger files.
   */
  pngCompressionLevel?: number;
  onProgress?: (p: TileProgress) => void;
  signal?: AbortSignal;
}

/** The signature a result of this run is stored and found by (previews reuse full runs). */
export function runSignature(kind: TaskKind, params: unknown, model: { weightSha256: string }) {
  return parameterSignature({ kind, params, weightSha256: model.weightSha256 });
}

export function isRawImage(input: ImageInput): input is RawImage {
  return !(input instanceof Uint8Array);
}

export async function loadInput(
  input: ImageInput,
  decode: DecodeOptions | undefined,
  t: Timings,
): Promise<RawImage> {
  if (isRawImage(input)) return input;
  return timed(t, "decodeMs", () => decodeImage(input, decode));
}

export function checkRegion(region: Region | undefined, img: RawImage): Rect {
  if (!region) return { x: 0, y: 0, width: img.width, height: img.height };
  if (region.x + region.width > img.width || region.y + region.height > img.height) {
    throw new RangeError(
      `region ${region.width}x${region.height}+${region.x}+${region.y} is outside the ${img.width}x${img.height} image`,
    );
  }
  return { x: region.x, y: region.y, width: region.width, height: region.height };
}

export function expandRect(r: Rect, by: number, width: number, height: number): Rect {
  const x = Math.max(0, r.x - by);
  const y = Math.max(0, r.y - by);
  return {
    x,
    y,
    width: Math.min(width, r.x + r.width + by) - x,
    height: Math.min(height, r.y + r.height + by) - y,
  };
}

/** The tile a run uses for a tile setting; for "auto" also the memory budget it was sized for. */
export async function resolveTile(
  setting: TileSetting,
  opts: {
    /** Budget for "auto"; default: a share of the memory `device` has free now. */
    budgetBytes: number | undefined;
    device: Device;
    inChannels: number;
    outChannels: number;
    scale: number;
    overlap: number;
    multipleOf: number;
    /** The model's measured working memory per input pixel (PreparedModel). */
    bytesPerPixel?: number | undefined;
    /** Largest side "auto" chooses (tiling/auto.ts). */
    maxTile?: number;
  },
): Promise<{ tile: number | "off"; budgetBytes?: number }> {
  if (setting !== "auto") return { tile: setting };
  const budgetBytes = opts.budgetBytes ?? (await runMemoryBudget(opts.device));
  return { tile: autoTileSize({ ...opts, budgetBytes }), budgetBytes };
}
