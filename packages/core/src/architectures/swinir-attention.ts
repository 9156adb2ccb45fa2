// The Swin transformer parts of SwinIR as ONNX (opset 17) ops. Tokens are kept as [N, H, W, C]
// (the same memory as PyTorch's [N, H*W, C]); windows as [N, W/ws, H/ws, ws*ws, C]. Partition,
// reverse, the cyclic shift and every reshape use only 0 ("copy") and -1 ("infer") in their
// target shapes, so the graph takes any H and W that are multiples of the window size without
// shape arithmetic. Only the shifted windows' mask needs the window counts.
import { attr, type GraphBuilder, tensor } from "../onnx/write";
import { param } from "./layers";
import type { Weights } from "./types";

const INT64_MAX = 2n ** 63n - 1n;

/** PyTorch's LayerNorm over the last axis (eps 1e-5). */
export function layerNorm(g: GraphBuilder, x: string, w: Weights, name: string, dim: number) {
  const scale = g.initializer(`${name}.weight`, tensor.f32([dim], param(w, `${name}.weight`)));
  const bias = g.initializer(`${name}.bias`, tensor.f32([dim], param(w, `${name}.bias`)));
  return g.node("LayerNormalization", [x, scale, bias], { axis: -1, epsilon: attr.float(1e-5) });
}

/** [out, in] row-major to [in, out], so that MatMul(x, W^T) needs no Transpose node. */
function transposed(weight: Float32Array, outF: number, inF: number, scale = 1): Float32Array {
  const t = new Float32Array(weight.length);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) t[i * outF + o] = (weight[o * inF + i] as number) * scale;
  }
  return t;
}

/** nn.Linear on the last axis. `scaleRows` scales the first rows (the query part of qkv). */
export function linear(
  g: GraphBuilder,
  x: string,
  w: Weights,
  name: string,
  outF: number,
  inF: number,
  scaleRows?: { rows: number; by: number },
): string {
  let weight = param(w, `${name}.weight`);
  let bias = param(w, `${name}.bias`);
  if (scaleRows) {
    weight = weight.slice();
    bias = bias.slice();
    for (let i = 0; i < scaleRows.rows * inF; i++) weight[i] = (weight[i] as number) * scaleRows.by;
    for (let o = 0; o < scaleRows.rows; o++) bias[o] = (bias[o] as number) * scaleRows.by;
  }
  const wt = g.initializer(
    `${name}.weight`,
    tensor.f32([inF, outF], transposed(weight, outF, inF)),
  );
  const b = g.initializer(`${name}.bias`, tensor.f32([outF], bias));
  return g.node("Add", [g.node("MatMul", [x, wt]), b]);
}

/** nn.GELU() (exact): x * 0.5 * (1 + erf(x / sqrt(2))); onnxruntime fuses it. */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.node("Erf", [g.node("Div", [x, g.constant(tensor.scalar(Math.SQRT2), "sqrt2")])]);
  const onePlus = g.node("Add", [erf, g.constant(tensor.scalar(1), "one")]);
  return g.node("Mul", [g.node("Mul", [x, onePlus]), g.constant(tensor.scalar(0.5), "half")]);
}

const i64 = (g: GraphBuilder, values: (number | bigint)[], hint: string) =>
  g.constant(tensor.i64([values.length], values), hint);

function slice(
  g: GraphBuilder,
  x: string,
  axis: number,
  from: number | bigint,
  to: number | bigint,
) {
  return g.node("Slice", [x, i64(g, [from], "start"), i64(g, [to], "end"), i64(g, [axis], "axis")]);
}

/** torch.roll(x, shifts=(shift, shift), dims=(1, 2)) for a shift of either sign. */
export function roll(g: GraphBuilder, x: string, shift: number): string {
  let out = x;
  for (const axis of [1, 2]) {
    const head = slice(g, out, axis, -shift, INT64_MAX);
    const tail = slice(g, out, axis, 0, -shift);
    out = g.node("Concat", [head, tail], { axis });
  }
  return out;
}

/** [N, H, W, C] -> [N, W/ws, H/ws, ws*ws, C]; tokens of a window in row-major order. */
export function partition(g: GraphBuilder, x: string, ws: number, dim: number): string {
  const columns = g.node("Reshape", [x, i64(g, [0, 0, -1, ws, dim], "shape")]);
  const byColumn = g.node("Transpose", [columns], { perm: [0, 2, 1, 3, 4] });
  return g.node("Reshape", [byColumn, i64(g, [0, 0, -1, ws * ws, dim], "shape")]);
}

/** The inverse of `partition`. */
export function unpartition(g: GraphBuilder, windows: string, ws: number, dim: number): string {
  const columns = g.node("Reshape", [windows, i64(g, [0, 0, -1, ws, dim], "shape")]);
  const rows = g.node("Transpose", [columns], { perm: [0, 2, 1, 3, 4] });
  return g.node("Reshape", [rows, i64(g, [0, 0, -1, dim], "shape")]);
}

/**
 * The relative position bias of one block, [heads, ws^2, ws^2]: table[index[p, q], h] with
 * PyTorch's relative_position_index, gathered here once instead of in every run.
 */
export function relativeBias(table: Float32Array, heads: number, ws: number): Float32Array {
  const L = ws * ws;
  const out = new Float32Array(heads * L * L);
  for (let p = 0; p < L; p++) {
    const rp = Math.floor(p / ws);
    const cp = p % ws;
    for (let q = 0; q < L; q++) {
      const index = (rp - Math.floor(q / ws) + ws - 1) * (2 * ws - 1) + (cp - (q % ws) + ws - 1);
      for (let h = 0; h < heads; h++) out[(h * L + p) * L + q] = table[index * heads + h] as number;
    }
  }
  return out;
}

/**
 * The shifted windows' attention mask, [W/ws, H/ws, 1, ws^2, ws^2] to match the window layout.
 * SwinIR labels the cyclically shifted map in three bands per axis, [0, H - ws), [H - ws,
 * H - shift), [H - shift, H), and puts -100 between tokens of different labels: only windows in
 * the last row or column straddle two bands. So the mask is, per window, the 0/-100 pattern
 * of a last-row window (split at local row ws - shift) if it is in the last row, combined by
 * Min with the pattern of a last-column window if it is in the last column. Both patterns are
 * constants; which windows are last comes from the tensor's shape.
 */
export function shiftMask(g: GraphBuilder, windows: string, ws: number, shift: number): string {
  const L = ws * ws;
  const pattern = (split: (p: number) => boolean) => {
    const m = new Float32Array(L * L);
    for (let p = 0; p < L; p++)
      for (let q = 0; q < L; q++) m[p * L + q] = split(p) === split(q) ? 0 : -100;
    return m;
  };
  const rowPattern = g.constant(
    tensor.f32(
      [L, L],
      pattern((p) => Math.floor(p / ws) < ws - shift),
    ),
    "mask_last_row",
  );
  const colPattern = g.constant(
    tensor.f32(
      [L, L],
      pattern((p) => p % ws < ws - shift),
    ),
    "mask_last_col",
  );
  const shape = g.node("Shape", [windows]);
  const isLast = (axis: number, rank: number) => {
    const count = g.node("Gather", [shape, g.constant(tensor.i64([], [axis]), "axis")], {
      axis: 0,
    });
    const zero = g.constant(tensor.i64([], [0]), "zero");
    const one = g.constant(tensor.i64([], [1]), "one");
    const index = g.node("Range", [zero, count, one]);
    const last = g.node("Equal", [index, g.node("Sub", [count, one])]);
    const flag = g.node("Cast", [last], { to: 1 });
    return g.node("Reshape", [flag, i64(g, [-1, ...Array(rank).fill(1)], "shape")]);
  };
  // Windows are [N, columns, rows, ...]: columns (axis 1) lead, rows (axis 2) follow.
  const lastCol = g.node("Mul", [isLast(1, 4), colPattern]); // [cols, 1, 1, L, L]
  const lastRow = g.node("Mul", [isLast(2, 3), rowPattern]); // [rows, 1, L, L]
  return g.node("Min", [lastCol, lastRow]);
}

export interface AttentionOptions {
  dim: number;
  heads: number;
  ws: number;
  /** The [cols, rows, 1, L, L] mask of shifted blocks. */
  mask?: string;
}

/** WindowAttention.forward on windows [N, cols, rows, L, C]. */
export function windowAttention(
  g: GraphBuilder,
  windows: string,
  w: Weights,
  name: string,
  { dim, heads, ws, mask }: AttentionOptions,
): string {
  const L = ws * ws;
  const headDim = dim / heads;
  // q * head_dim^-0.5 folded into the query rows of the qkv projection.
  const qkv = linear(g, windows, w, `${name}.qkv`, 3 * dim, dim, {
    rows: dim,
    by: headDim ** -0.5,
  });
  const [q, k, v] = g.nodeOutputs("Split", [qkv], { axis: -1 }, { count: 3 }) as [
    string,
    string,
    string,
  ];
  const byHead = (t: string, perm: number[]) =>
    g.node("Transpose", [g.node("Reshape", [t, i64(g, [0, 0, 0, 0, heads, headDim], "shape")])], {
      perm,
    });
  const queries = byHead(q, [0, 1, 2, 4, 3, 5]); // [N, cols, rows, heads, L, hd]
  const keysT = byHead(k, [0, 1, 2, 4, 5, 3]); // [N, cols, rows, heads, hd, L]
  const values = byHead(v, [0, 1, 2, 4, 3, 5]);
  const table = param(w, `${name}.relative_position_bias_table`);
  const bias = g.constant(tensor.f32([heads, L, L], relativeBias(table, heads, ws)), "rel_bias");
  let scores = g.node("Add", [g.node("MatMul", [queries, keysT]), bias]);
  if (mask) scores = g.node("Add", [scores, mask]);
  const attention = g.node("Softmax", [scores], { axis: -1 });
  const out = g.node("Transpose", [g.node("MatMul", [attention, values])], {
    perm: [0, 1, 2, 4, 3, 5],
  });
  const merged = g.node("Reshape", [out, i64(g, [0, 0, 0, 0, -1], "shape")]);
  return linear(g, merged, w, `${name}.proj`, dim, dim);
}
