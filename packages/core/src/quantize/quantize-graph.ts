// The INT8 graph. onnxruntime runs a Conv fast in 8 bits only as QLinearConv with 8-bit input
// and output (QDQ around the input and weights alone is not fused and is slower than FP32), so
// every conv with constant weights becomes QLinearConv (uint8 activations, per-channel
// symmetric int8 weights, int32 bias) and values stay uint8 between them. PReLU / LeakyRelu /
// Relu stay integer as Max(t, s*t), s*t a 1x1 depthwise QLinearConv whose output shares t's
// scale (float PReLU between the convs would otherwise take most of the time). Anything else
// runs in float between DequantizeLinear and QuantizeLinear.
import type { AttrValue, TensorValue } from "../onnx/write";
import type { Range } from "./calibrate";
import { consumers, intAttr, type QGraph, type QNode } from "./graph";
import { activationSlopes } from "./transform";

/** Operators the quantiser reads: in 8 bits where it can, in float otherwise. */
export const HANDLED_OPS: ReadonlySet<string> = new Set([
  "Conv",
  "PRelu",
  "LeakyRelu",
  "Relu",
  "Add",
  "Sum",
  "Mul",
  "Sub",
  "Div",
  "Concat",
  "DepthToSpace",
  "Resize",
  "Upsample",
  "Identity",
  "Sigmoid",
  "Tanh",
  "Clip",
  "Pad",
  "MaxPool",
  "ConvTranspose",
]);

interface QValue {
  name: string;
  scale: number;
  zp: number;
}

export interface QuantizeOptions {
  /**
   * 7-bit weights: without VNNI, x86 multiplies u8 x s8 pairs with saturating 16-bit sums; one
   * bit less keeps them exact (what onnxruntime's own quantiser calls reduce_range).
   */
  reduceRange: boolean;
  /** Convs to leave in float (by node name). */
  keepFloat?: ReadonlySet<string>;
}

export interface QuantizedGraph {
  graph: QGraph;
  quantizedConvs: number;
  totalConvs: number;
  /** Activations that run as integer Max(t, s*t). */
  integerActivations: number;
}

function qParams(r: Range): { scale: number; zp: number } {
  const lo = Math.min(0, r.lo);
  const hi = Math.max(0, r.hi);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zp = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zp };
}

/** Builds the INT8 graph of a float graph with measured ranges; the float graph is not changed. */
export function quantizeGraph(
  g: QGraph,
  ranges: Map<string, Range>,
  options: QuantizeOptions,
): QuantizedGraph {
  const out: QGraph = { ...g, nodes: [], inits: new Map(), opsets: [...g.opsets] };
  const readers = consumers(g);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const floats = new Set<string>(g.inputs.map((v) => v.name));
  const quants = new Map<string, QValue>();
  const usedInits = new Set<string>();
  let counter = 0;
  const fresh = (hint: string) => `${hint}__q8_${counter++}`;
  const constant = (hint: string, t: TensorValue) => {
    const name = fresh(hint);
    out.inits.set(name, t);
    return name;
  };
  const emit = (
    op: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, AttrValue> = {},
    domain = "",
  ) => {
    out.nodes.push({ op, domain, name: fresh(op), inputs, outputs, attrs });
  };
  const scalarF = (v: number) => ({
    dtype: "float32" as const,
    dims: [],
    data: Float32Array.of(v),
  });
  const scalarU8 = (v: number) => ({ dtype: "uint8" as const, dims: [], data: Uint8Array.of(v) });
  const scaleZp = (q: { scale: number; zp: number }, hint: string) => [
    constant(`${hint}_scale`, scalarF(q.scale)),
    constant(`${hint}_zp`, scalarU8(q.zp)),
  ];

  const useInit = (name: string) => {
    if (name !== "" && g.inits.has(name) && !usedInits.has(name)) {
      out.inits.set(name, g.inits.get(name) as TensorValue);
      usedInits.add(name);
    }
    return name;
  };
  const rangeOf = (v: string): Range => {
    const r = ranges.get(v);
    if (!r) throw new Error(`no calibration range for "${v}"`);
    return r;
  };
  const asFloat = (v: string): string => {
    if (v === "" || g.inits.has(v)) return useInit(v);
    if (floats.has(v)) return v;
    const q = quants.get(v);
    if (!q) throw new Error(`value "${v}" is used before it is defined`);
    emit("DequantizeLinear", [q.name, ...scaleZp(q, v)], [v]);
    floats.add(v);
    return v;
  };
  const asQuant = (v: string): QValue => {
    const known = quants.get(v);
    if (known) return known;
    const p = qParams(rangeOf(v));
    const q = { name: fresh(v), ...p };
    emit("QuantizeLinear", [asFloat(v), ...scaleZp(p, v)], [q.name]);
    quants.set(v, q);
    return q;
  };
  const qconv = (
    x: QValue,
    weights: Float32Array,
    dims: number[],
    bias: Float32Array | null,
    y: { scale: number; zp: number },
    attrs: Record<string, AttrValue>,
    hint: string,
  ): string => {
    const outC = dims[0] as number;
    const per = weights.length / outC;
    const qmax = options.reduceRange ? 63 : 127;
    const wq = new Int8Array(weights.length);
    const ws = new Float32Array(outC);
    const bq = new Int32Array(outC);
    for (let c = 0; c < outC; c++) {
      let amax = 0;
      for (let i = c * per; i < (c + 1) * per; i++)
        amax = Math.max(amax, Math.abs(weights[i] as number));
      const s = amax > 0 ? amax / qmax : 1;
      ws[c] = s;
      for (let i = c * per; i < (c + 1) * per; i++)
        wq[i] = Math.max(-qmax, Math.min(qmax, Math.round((weights[i] as number) / s)));
      const b = bias ? Math.round((bias[c] as number) / (x.scale * s)) : 0;
      bq[c] = Math.max(-2147483647, Math.min(2147483647, b));
    }
    const name = fresh(hint);
    emit(
      "QLinearConv",
      [
        x.name,
        ...scaleZp(x, `${hint}_x`),
        constant(`${hint}_w`, { dtype: "int8", dims, data: wq }),
        constant(`${hint}_ws`, { dtype: "float32", dims: [outC], data: ws }),
        constant(`${hint}_wzp`, { dtype: "int8", dims: [outC], data: new Int8Array(outC) }),
        ...scaleZp(y, `${hint}_y`),
        constant(`${hint}_b`, { dtype: "int32", dims: [outC], data: bq }),
      ],
      [name],
      attrs,
    );
    return name;
  };

  let quantizedConvs = 0;
  let totalConvs = 0;
  let integerActivations = 0;
  const convChannels = new Map<string, number>();

  const convertConv = (n: QNode): boolean => {
    const w = g.inits.get(n.inputs[1] ?? "");
    const b = n.inputs[2] ? g.inits.get(n.inputs[2]) : undefined;
    if (w?.dtype !== "float32" || w.dims.length !== 4) return false;
    if (b && b.dtype !== "float32") return false;
    const y = n.outputs[0] as string;
    const x = asQuant(n.inputs[0] as string);
    // A Relu that is the conv's only reader is folded: the output range starts at 0, so the
    // clamp of the 8-bit output does the Relu.
    const next = readers.get(y) ?? [];
    const relu =
      next.length === 1 && next[0]?.op === "Relu" && !graphOutputs.has(y) ? next[0] : undefined;
    const r = rangeOf(y);
    const p = qParams(relu ? { lo: 0, hi: r.hi } : r);
    const attrs: Record<string, AttrValue> = {};
    for (const key of ["kernel_shape", "pads", "strides", "dilations", "group", "auto_pad"]) {
      if (n.attrs[key] !== undefined) attrs[key] = n.attrs[key] as AttrValue;
    }
    const name = qconv(
      x,
      w.data as Float32Array,
      [...w.dims],
      b ? (b.data as Float32Array) : null,
      p,
      attrs,
      y,
    );
    const qv = { name, ...p };
    quants.set(y, qv);
    convChannels.set(y, w.dims[0] as number);
    if (relu) {
      quants.set(relu.outputs[0] as string, qv);
      skipped.add(relu);
    }
    quantizedConvs++;
    return true;
  };

  /** PReLU / LeakyRelu / Relu on a uint8 value as Max(t, s*t) with s*t in t's scale. */
  const convertActivation = (n: QNode): boolean => {
    const xName = n.inputs[0] as string;
    const x = quants.get(xName);
    const channels = convChannels.get(xName);
    if (!x || channels === undefined) return false;
    const slopes = activationSlopes(g, n, channels);
    if (!slopes || slopes.some((s) => s > 1)) return false;
    const y = n.outputs[0] as string;
    let st: string;
    if (n.op === "Relu") {
      st = constant(`${y}_zero`, scalarU8(x.zp));
    } else {
      // Depthwise 1x1: weight +-127 per channel, the slope's size in the weight scale.
      const w = Float32Array.from(slopes);
      st = qconv(
        x,
        w,
        [channels, 1, 1, 1],
        null,
        x,
        { kernel_shape: [1, 1], group: channels },
        `${y}_slope`,
      );
    }
    const name = fresh(y);
    emit("Max", [x.name, st], [name]);
    quants.set(y, { name, scale: x.scale, zp: x.zp });
    convChannels.set(y, channels);
    integerActivations++;
    return true;
  };

  const positiveScalarTimesQuant = (ins: string[]): { q: QValue; c: number } | null => {
    if (ins.length !== 2) return null;
    const [a, b] = ins as [string, string];
    const [x, k] = g.inits.has(b) ? [a, b] : [b, a];
    const t = g.inits.get(k);
    const q = quants.get(x);
    if (!q || !t || t.dtype !== "float32" || t.data.length !== 1) return null;
    const c = t.data[0] as number;
    return c > 0 ? { q, c } : null;
  };

  const skipped = new Set<QNode>();
  for (const n of g.nodes) {
    if (skipped.has(n)) continue;
    const ins = n.inputs;
    const y = n.outputs[0] as string;
    if (n.op === "Conv") {
      totalConvs++;
      if (!options.keepFloat?.has(n.name) && convertConv(n)) continue;
    } else if (["PRelu", "LeakyRelu", "Relu"].includes(n.op)) {
      if (convertActivation(n)) continue;
    } else if (n.op === "Identity" && quants.has(ins[0] as string)) {
      quants.set(y, quants.get(ins[0] as string) as QValue);
      if (convChannels.has(ins[0] as string))
        convChannels.set(y, convChannels.get(ins[0] as string) as number);
      continue;
    } else if (n.op === "Mul" && positiveScalarTimesQuant(ins) !== null) {
      // x * c (c > 0) is x's own 8-bit codes with c times the scale: no node at all.
      const { q, c } = positiveScalarTimesQuant(ins) as { q: QValue; c: number };
      quants.set(y, { ...q, scale: q.scale * c });
      continue;
    } else if (n.op === "MaxPool" && n.outputs.length === 1 && quants.has(ins[0] as string)) {
      const x = quants.get(ins[0] as string) as QValue;
      const name = fresh(y);
      emit("MaxPool", [x.name], [name], n.attrs);
      quants.set(y, { ...x, name });
      continue;
    } else if (
      (n.op === "Add" || n.op === "Sum") &&
      ins.length === 2 &&
      ins.every((i) => quants.has(i))
    ) {
      const [a, b] = ins.map((i) => quants.get(i) as QValue) as [QValue, QValue];
      const p = qParams(rangeOf(y));
      const name = fresh(y);
      emit(
        "QLinearAdd",
        [a.name, ...scaleZp(a, `${y}_a`), b.name, ...scaleZp(b, `${y}_b`), ...scaleZp(p, y)],
        [name],
        {},
        "com.microsoft",
      );
      quants.set(y, { name, ...p });
      continue;
    } else if (n.op === "Concat" && ins.every((i) => quants.has(i))) {
      const p = qParams(rangeOf(y));
      const name = fresh(y);
      const triples = ins.flatMap((i) => {
        const q = quants.get(i) as QValue;
        return [q.name, ...scaleZp(q, `${y}_in`)];
      });
      emit("QLinearConcat", [...scaleZp(p, y), ...triples], [name], n.attrs, "com.microsoft");
      quants.set(y, { name, ...p });
      continue;
    }
    // Float fallback.
    out.nodes.push({ ...n, inputs: ins.map(asFloat) });
    for (const o of n.outputs) floats.add(o);
  }
  for (const o of g.outputs) asFloat(o.name);
  if (!out.opsets.some((o) => o.domain === "com.microsoft")) {
    out.opsets.push({ domain: "com.microsoft", version: 1 });
  }
  return { graph: out, quantizedConvs, totalConvs, integerActivations };
}

export function unhandledOps(g: QGraph): string[] {
  const bad = new Set<string>();
  for (const n of g.nodes) {
    if (n.domain !== "" || !HANDLED_OPS.has(n.op))
      bad.add(n.domain ? `${n.domain}::${n.op}` : n.op);
    if (n.op === "MaxPool" && n.outputs.length > 1) bad.add("MaxPool (with indices)");
    if (n.op === "Conv" && intAttr(n, "group", 1) < 1) bad.add("Conv");
  }
  return [...bad].sort();
}
