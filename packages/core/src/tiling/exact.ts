// Exact tiling: tiles that overlap by twice the receptive field and are cut, not blended, give
// every output pixel the value an untiled run gives it, bit for bit. A pixel at least one
// receptive field away from a tile's cut edges sees exactly the input the untiled run's pixel
// sees, and onnxruntime's CPU convolutions compute each output pixel in the same order whatever
// the tensor's height and width (measured on Real-ESRGAN AnimeVideo v3 x4, receptive field 18:
// windows with 18 px of context equal the untiled output bit for bit at every position tried; with
// 17 px, 10-20% of the samples differ). That also frees previews from the task's tile grid: a
// crop is computed from a window of the crop plus the receptive field, whatever the task's tiles,
// so tiles can be as large as memory allows (a 1024 px image runs as one tile) while a preview
// still answers in the time of its own crop.
//
// Whether a model and a runtime really behave so is not assumed: verifyExactTiling checks it on
// the session itself when it is warmed up (a wrong receptive field in a spec, attention, global
// pooling or a GPU kernel chosen by shape all show up as differing samples). Models that fail
// keep the blended overlap (grid.ts).
import type { Rect } from "../tensor/index";
import type { OverlapSplit } from "./grid";

/**
 * Largest receptive field exact tiling is tried for. Beyond it the context every tile and crop
 * carries costs more than blending saves, and the check's own runs grow with its square.
 */
export const EXACT_MAX_RECEPTIVE_FIELD = 64;

/** Overlap of exact tiles: a receptive field of context on each side of the cut, no ramp. */
export function exactSplit(receptiveField: number): OverlapSplit {
  return { overlap: 2 * receptiveField, margin: receptiveField, ramp: 0 };
}

/**
 * The input window whose run gives `region` exactly: the region plus one receptive field on every
 * side, cut at the image's edges (where the untiled run has no border either: exact runs add
 * none), its start on the model's size grid so that strided and windowed layers line up with the
 * untiled run. A window shorter than the model's minimum size reaches further into the image
 * rather than being padded past its edge, which the untiled run is not.
 */
export function exactWindow(
  region: Rect,
  image: { width: number; height: number },
  receptiveField: number,
  multipleOf: number,
  minSize = 1,
): Rect {
  const alignDown = (n: number) => Math.max(0, Math.floor(n / multipleOf) * multipleOf);
  const axis = (from: number, length: number, limit: number): [number, number] => {
    const end = Math.min(limit, from + length + receptiveField);
    const start = Math.min(alignDown(from - receptiveField), alignDown(end - minSize));
    return [start, end - start];
  };
  const [x, width] = axis(region.x, region.width, image.width);
  const [y, height] = axis(region.y, region.height, image.height);
  return { x, y, width, height };
}

export interface ExactTilingProbe {
  /** Runs the model on [1, channels, height, width] and returns its output [1, C, h, w]. */
  run(
    input: Float32Array,
    dims: number[],
  ): Promise<{ data: Float32Array; dims: readonly number[] }>;
  channels: number;
  scale: number;
  receptiveField: number;
  multipleOf: number;
  minSize: number;
}

/**
 * Whether windows of the model's input with one receptive field of context give the untiled
 * output bit for bit: one run on a square of pseudo-random pixels, then two windows of it (one in
 * the middle, one at the top-left corner) whose inner parts are compared sample by sample.
 */
export async function verifyExactTiling(probe: ExactTilingProbe): Promise<boolean> {
  const { channels, scale, receptiveField: rf, multipleOf: m } = probe;
  if (rf < 1 || rf > EXACT_MAX_RECEPTIVE_FIELD) return false;
  const align = (n: number) => Math.ceil(n / m) * m;
  // Room for a window with a receptive field of context inside a receptive field of margin.
  const side = align(Math.max(probe.minSize, 4 * rf + 2 * m + 24));
  const input = pseudoRandomPixels(channels * side * side);
  const full = await probe.run(input, [1, channels, side, side]);
  const start = align(rf + 3);
  const windows: Rect[] = [
    { x: start, y: start, width: side - start - align(rf), height: side - start - align(rf) },
    { x: 0, y: 0, width: side - align(rf + 5), height: side - align(rf + 5) },
  ];
  for (const w of windows) {
    if (w.width < probe.minSize || w.height < probe.minSize) return false;
    const crop = cropPlanes(input, channels, side, side, w);
    const out = await probe.run(crop, [1, channels, w.height, w.width]);
    // The part of the window at least a receptive field from its cut edges.
    const inner = {
      x0: w.x === 0 ? 0 : rf,
      y0: w.y === 0 ? 0 : rf,
      x1: w.width - (w.x + w.width >= side ? 0 : rf),
      y1: w.height - (w.y + w.height >= side ? 0 : rf),
    };
    if (!samePixels(full, out, side * scale, w, inner, scale)) return false;
  }
  return true;
}

function samePixels(
  full: { data: Float32Array; dims: readonly number[] },
  part: { data: Float32Array; dims: readonly number[] },
  fullSide: number,
  window: Rect,
  inner: { x0: number; y0: number; x1: number; y1: number },
  scale: number,
): boolean {
  const planes = full.dims[1] ?? 0;
  const pw = window.width * scale;
  const ph = window.height * scale;
  if (part.dims[1] !== planes || part.dims[2] !== ph || part.dims[3] !== pw) return false;
  if (full.dims[2] !== fullSide || full.dims[3] !== fullSide) return false;
  for (let c = 0; c < planes; c++) {
    for (let y = inner.y0 * scale; y < inner.y1 * scale; y++) {
      const fRow = c * fullSide * fullSide + (y + window.y * scale) * fullSide + window.x * scale;
      const pRow = c * pw * ph + y * pw;
      for (let x = inner.x0 * scale; x < inner.x1 * scale; x++) {
        if (full.data[fRow + x] !== part.data[pRow + x]) return false;
      }
    }
  }
  return true;
}

function cropPlanes(
  data: Float32Array,
  channels: number,
  width: number,
  height: number,
  r: Rect,
): Float32Array {
  const out = new Float32Array(channels * r.width * r.height);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < r.height; y++) {
      const from = c * width * height + (y + r.y) * width + r.x;
      out.set(data.subarray(from, from + r.width), (c * r.height + y) * r.width);
    }
  }
  return out;
}

/** Deterministic values in [0, 1): the check is the same on every run and every machine. */
function pseudoRandomPixels(n: number): Float32Array {
  const out = new Float32Array(n);
  let s = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 4294967296;
  }
  return out;
}
