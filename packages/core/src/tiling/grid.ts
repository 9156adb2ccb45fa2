/**
 * Tiles along one axis: equal sizes (evened out, no thin last tile), increasing starts. Starts
 * are multiples of `multipleOf` so that pooling/stride grids, and the attention windows of
 * window-attention models (SwinIR: multipleOf = window size), line up with an untiled run; the
 * last tile then ends exactly at the image edge and may be up to multipleOf - 1 px longer
 * (run.ts pads every model input to whole multiples, on the same grid).
 */
export interface AxisTiles {
  length: number;
  /** Largest tile core size. */
  size: number;
  starts: Int32Array;
  sizes: Int32Array;
}

export interface OverlapSplit {
  overlap: number;
  /** Pixels at a tile edge that get zero weight (the model's edge effects live there). */
  margin: number;
  /** Raised-cosine ramp after the margin. */
  ramp: number;
}

/**
 * "auto" overlap: two edge margins plus a feathering ramp. The margin is the full receptive
 * field up to 8 px, then half of it: a trained network's effective receptive field is far
 * smaller than its theoretical one (Real-ESRGAN animevideov3, theoretical 18 px: overlap 24
 * gives 99.99% of pixels within 1/255 of the untiled result, max 2/255; 45 costs 20% more
 * compute for nothing measurable).
 */
export function autoOverlap(receptiveField: number): number {
  const margin = Math.min(receptiveField, Math.max(4, Math.ceil(receptiveField / 2)));
  const ramp = Math.max(4, Math.ceil(margin / 2));
  return 2 * margin + ramp;
}

export function splitOverlap(overlap: number): OverlapSplit {
  const margin = Math.floor((overlap * 2) / 5);
  return { overlap, margin, ramp: overlap - 2 * margin };
}

/**
 * n = fewest tiles of at most `tile` px overlapping by at least `overlap`; every tile gets the
 * same size t = ceil((L + (n-1) * o) / n) rounded up to `multipleOf` (o = overlap plus the
 * alignment slack), which keeps every stride <= t - overlap.
 */
export function splitAxis(
  length: number,
  tile: number,
  overlap: number,
  multipleOf = 1,
): AxisTiles {
  if (length <= tile) {
    return { length, size: length, starts: Int32Array.of(0), sizes: Int32Array.of(length) };
  }
  const m = multipleOf;
  const maxTile = Math.max(m, Math.floor(tile / m) * m);
  const o = overlap + m - 1;
  if (maxTile <= o) {
    throw new RangeError(
      `tile ${tile} must be larger than the overlap ${overlap} (+ alignment ${m - 1})`,
    );
  }
  const n = Math.ceil((length - o) / (maxTile - o));
  let size = Math.ceil((length + (n - 1) * o) / n);
  size = Math.min(maxTile, Math.ceil(size / m) * m);
  const starts = new Int32Array(n);
  const sizes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    starts[i] = Math.floor(Math.floor((i * (length - size)) / (n - 1)) / m) * m;
    sizes[i] = i === n - 1 ? length - (starts[i] as number) : size;
  }
  return { length, size: Math.max(size, sizes[n - 1] as number), starts, sizes };
}

/**
 * Per tile, its blend weight at each output position of its core (scale x size), already
 * divided by the sum over all tiles so the weights add up to 1 everywhere.
 */
export function axisWeights(axis: AxisTiles, scale: number, split: OverlapSplit): Float32Array[] {
  const n = axis.starts.length;
  const m = split.margin * scale;
  const r = split.ramp * scale;
  const raw: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const outSize = (axis.sizes[i] as number) * scale;
    const w = new Float32Array(outSize);
    const featherLeft = i > 0;
    const featherRight = i < n - 1;
    for (let u = 0; u < outSize; u++) {
      let v = 1;
      if (featherLeft) v *= edgeWeight(u + 0.5, m, r);
      if (featherRight) v *= edgeWeight(outSize - u - 0.5, m, r);
      w[u] = v;
    }
    raw.push(w);
  }
  const sum = new Float64Array(axis.length * scale);
  for (let i = 0; i < n; i++) {
    const base = (axis.starts[i] as number) * scale;
    const w = raw[i] as Float32Array;
    for (let u = 0; u < w.length; u++) sum[base + u] = (sum[base + u] as number) + (w[u] as number);
  }
  for (let i = 0; i < n; i++) {
    const base = (axis.starts[i] as number) * scale;
    const w = raw[i] as Float32Array;
    for (let u = 0; u < w.length; u++) {
      const s = sum[base + u] as number;
      w[u] = s > 0 ? (w[u] as number) / s : 0;
    }
  }
  return raw;
}

function edgeWeight(distance: number, margin: number, ramp: number): number {
  if (distance < margin) return 0;
  if (distance >= margin + ramp) return 1;
  return 0.5 - 0.5 * Math.cos((Math.PI * (distance - margin)) / ramp);
}
