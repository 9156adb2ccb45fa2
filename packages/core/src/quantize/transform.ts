// Float-to-float rewrites that make a conv net friendlier to 8-bit arithmetic without changing
// what it computes (up to float rounding). They run before calibration, so the ranges measured
// are those of the rewritten net.
import { type ChannelTails, channelRanges, type Range, scaledRange } from "./calibrate";
import { consumers, floatInit, intAttr, producers, type QGraph, type QNode } from "./graph";

/** The channel slopes of a PRelu / LeakyRelu / Relu node, or null if not a per-channel constant. */
export function activationSlopes(g: QGraph, n: QNode, channels: number): Float32Array | null {
  if (n.op === "Relu") return new Float32Array(channels);
  if (n.op === "LeakyRelu") {
    const v = n.attrs.alpha;
    const alpha =
      typeof v === "number"
        ? v
        : typeof v === "object" && v && "kind" in v
          ? Number(v.value)
          : 0.01;
    return new Float32Array(channels).fill(alpha);
  }
  if (n.op === "PRelu") {
    const s = floatInit(g, n.inputs[1]);
    if (!s) return null;
    if (s.length === 1) return new Float32Array(channels).fill(s[0] as number);
    return s.length === channels ? s : null;
  }
  return null;
}

const ACTIVATIONS = new Set(["PRelu", "LeakyRelu", "Relu"]);

function convWeights(g: QGraph, n: QNode | undefined): { w: Float32Array; dims: number[] } | null {
  if (n?.op !== "Conv" || n.domain !== "") return null;
  const t = g.inits.get(n.inputs[1] ?? "");
  if (t?.dtype !== "float32" || t.dims.length !== 4) return null;
  return { w: t.data as Float32Array, dims: [...t.dims] };
}

/** Gives a Conv its own copies of weight and bias so that rescaling one conv leaves others alone. */
function ownParams(g: QGraph, conv: QNode): { w: Float32Array; b: Float32Array } {
  const dims = g.inits.get(conv.inputs[1] as string)?.dims ?? [];
  const outC = dims[0] as number;
  const w = Float32Array.from(floatInit(g, conv.inputs[1]) as Float32Array);
  const b = Float32Array.from(floatInit(g, conv.inputs[2]) ?? new Float32Array(outC));
  const wName = `${conv.name}_w_q8`;
  const bName = `${conv.name}_b_q8`;
  g.inits.set(wName, { dtype: "float32", dims, data: w });
  g.inits.set(bName, { dtype: "float32", dims: [outC], data: b });
  conv.inputs[1] = wName;
  conv.inputs[2] = bName;
  return { w, b };
}

/**
 * A chain conv -> activation -> convs: the producing Conv writes only to the activation, and
 * the activation's output is read only by plain convs (group 1), not a graph output.
 */
interface Chain {
  producer: QNode;
  act: QNode;
  next: QNode[];
  channels: number;
}

function chains(g: QGraph): Chain[] {
  const readers = consumers(g);
  const writers = producers(g);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const found: Chain[] = [];
  for (const act of g.nodes) {
    if (!ACTIVATIONS.has(act.op) || act.domain !== "") continue;
    const x = act.inputs[0] as string;
    const producer = writers.get(x);
    const pw = convWeights(g, producer);
    if (!producer || !pw || intAttr(producer, "group", 1) !== 1) continue;
    if ((readers.get(x) ?? []).length !== 1 || outputs.has(x)) continue;
    const y = act.outputs[0] as string;
    const next = readers.get(y) ?? [];
    if (next.length === 0 || outputs.has(y)) continue;
    const channels = pw.dims[0] as number;
    const ok = next.every((c) => {
      const cw = convWeights(g, c);
      return cw && c.inputs[0] === y && intAttr(c, "group", 1) === 1 && cw.dims[1] === channels;
    });
    if (ok) found.push({ producer, act, next, channels });
  }
  return found;
}

/** Multiplies output channel c of a conv (weights and bias) by k[c]. */
function scaleOut(w: Float32Array, b: Float32Array, outC: number, k: Float32Array) {
  const per = w.length / outC;
  for (let c = 0; c < outC; c++) {
    const kc = k[c] as number;
    for (let i = c * per; i < (c + 1) * per; i++) w[i] = (w[i] as number) * kc;
    b[c] = (b[c] as number) * kc;
  }
}

/** Multiplies input channel c of a conv's weights by k[c]. */
function scaleIn(w: Float32Array, dims: number[], k: Float32Array) {
  const [outC, inC, kh, kw] = dims as [number, number, number, number];
  const area = kh * kw;
  for (let o = 0; o < outC; o++) {
    for (let c = 0; c < inC; c++) {
      const kc = k[c] as number;
      const base = (o * inC + c) * area;
      for (let i = base; i < base + area; i++) w[i] = (w[i] as number) * kc;
    }
  }
}

/**
 * PReLU(x) = Max(x, s*x) only for slopes s <= 1. For a channel with s > 1,
 * PReLU_s(x) = -s * PReLU_(1/s)(-x): negate that channel in the producing conv, use the slope
 * 1/s, and fold the factor -s into the reading convs' weights, so every slope is at most 1.
 */
export function negateSteepSlopes(g: QGraph): void {
  for (const { producer, act, next, channels } of chains(g)) {
    if (act.op !== "PRelu") continue;
    const slopes = activationSlopes(g, act, channels);
    if (!slopes || slopes.every((s) => s <= 1)) continue;
    const p = ownParams(g, producer);
    scaleOut(
      p.w,
      p.b,
      channels,
      Float32Array.from(slopes, (s) => (s > 1 ? -1 : 1)),
    );
    const slopeName = `${act.name}_slope_q8`;
    g.inits.set(slopeName, {
      dtype: "float32",
      dims: [channels, 1, 1],
      data: Float32Array.from(slopes, (s) => (s > 1 ? 1 / s : s)),
    });
    act.inputs[1] = slopeName;
    const k = Float32Array.from(slopes, (s) => (s > 1 ? -s : 1));
    for (const c of next) {
      const dims = g.inits.get(c.inputs[1] as string)?.dims ?? [];
      scaleIn(ownParams(g, c).w, [...dims], k);
    }
  }
}

/** Drops initializers no node reads (rewrites leave the originals behind). */
export function pruneInitializers(g: QGraph): void {
  const read = new Set(g.nodes.flatMap((n) => n.inputs));
  for (const name of [...g.inits.keys()]) if (!read.has(name)) g.inits.delete(name);
}

/** The values whose per-channel ranges `equalizeChannels` needs: each chain's conv output. */
export function equalizableValues(g: QGraph): Set<string> {
  return new Set(chains(g).map((c) => c.act.inputs[0] as string));
}

/**
 * Cross-layer equalisation across positively homogeneous activations (PReLU(a x) = a PReLU(x)
 * for a > 0; Nagel et al., "Data-Free Quantization", 2019), driven by measured activation
 * ranges rather than weights: the producing conv's weights are quantised per output channel, so
 * its scale costs nothing there, while the activation shares one 8-bit scale over all channels
 * and the reading convs share one weight scale over their input channels. Channel c is scaled
 * by sqrt(w_c / a_c) (a_c its activation range, w_c the readers' weight range on it), which
 * balances the two errors.
 */
export function equalizeChannels(
  g: QGraph,
  measured: Map<string, ChannelTails[]>,
  ranges: Map<string, Range>,
): number {
  let count = 0;
  for (const { producer, act, next, channels } of chains(g)) {
    const t = act.inputs[0] as string;
    const perInput = measured.get(t);
    const slopes = activationSlopes(g, act, channels);
    if (!perInput || perInput[0]?.length !== channels || !slopes || slopes.some((s) => s > 1))
      continue;
    const r = channelRanges(perInput);
    const owned = next.map((c) => {
      const dims = [...(g.inits.get(c.inputs[1] as string)?.dims ?? [])];
      return { w: ownParams(g, c).w, dims };
    });
    const wr = new Float32Array(channels);
    for (const { w, dims } of owned) {
      const [outC, inC, kh, kw] = dims as [number, number, number, number];
      const area = kh * kw;
      for (let o = 0; o < outC; o++)
        for (let c = 0; c < inC; c++)
          for (let i = 0; i < area; i++) {
            const v = Math.abs(w[(o * inC + c) * area + i] as number);
            if (v > (wr[c] as number)) wr[c] = v;
          }
    }
    const k = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const a = Math.max(Math.abs(r.lo[c] as number), Math.abs(r.hi[c] as number));
      const w = wr[c] as number;
      k[c] = a > 0 && w > 0 ? Math.sqrt(w / a) : 1;
    }
    const p = ownParams(g, producer);
    scaleOut(p.w, p.b, channels, k);
    const inv = Float32Array.from(k, (v) => 1 / v);
    for (const { w, dims } of owned) scaleIn(w, dims, inv);
    // The conv's output (and the activation's, which shares its 8-bit scale) is now scaled.
    ranges.set(t, scaledRange(perInput, k));
    ranges.delete(act.outputs[0] as string);
    count++;
  }
  return count;
}

/** Folds `Mul(conv, scalar constant)` into the conv when the conv has no other reader. */
export function foldScalarMuls(g: QGraph): void {
  const readers = consumers(g);
  const writers = producers(g);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const removed = new Set<QNode>();
  const rename = new Map<string, string>();
  for (const n of g.nodes) {
    if (n.op !== "Mul" || n.domain !== "") continue;
    const [a, b] = n.inputs as [string, string];
    const constName = g.inits.has(b) ? b : g.inits.has(a) ? a : null;
    if (!constName) continue;
    const x = constName === b ? a : b;
    const k = floatInit(g, constName);
    const conv = writers.get(x);
    const cw = convWeights(g, conv);
    if (k?.length !== 1 || !conv || !cw) continue;
    if (
      (readers.get(x) ?? []).length !== 1 ||
      outputs.has(x) ||
      outputs.has(n.outputs[0] as string)
    )
      continue;
    const outC = cw.dims[0] as number;
    const p = ownParams(g, conv);
    scaleOut(p.w, p.b, outC, new Float32Array(outC).fill(k[0] as number));
    removed.add(n);
    rename.set(n.outputs[0] as string, x);
  }
  if (removed.size === 0) return;
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => rename.get(i) ?? i);
}
