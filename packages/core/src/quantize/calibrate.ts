// Activation ranges for 8-bit quantisation: the FP32 model is run on the calibration inputs with
// every intermediate value exposed as a graph output, and each value's range is taken between
// its 0.001th and 99.999th percentiles (a handful of outliers would otherwise stretch the 256
// steps over a range almost nothing uses).
import * as ort from "onnxruntime-node";
import { ortSessionOptions } from "../runtime/session";
import { type QGraph, writeGraph } from "./graph";

export interface Range {
  lo: number;
  hi: number;
}

export interface CalibrationInput {
  data: Float32Array;
  dims: number[];
}

const TAIL = 1e-5;
const VALUES_PER_RUN = 48;

/** Per-channel plain ranges of an NCHW value, for channel equalisation. */
export interface ChannelRanges {
  lo: Float32Array;
  hi: Float32Array;
}

/**
 * The k smallest and k largest samples (k - 1 of them are cut off by a percentile range), kept
 * in two small sorted buffers: one comparison per sample for almost all of them (a histogram or
 * a sort costs ten times more on calibration-sized tensors).
 */
export interface Tails {
  /** Ascending: top[0] is the k-th largest. */
  top: Float64Array;
  /** Descending: bottom[0] is the k-th smallest. */
  bottom: Float64Array;
}

export function tails(v: Float32Array, k: number, from = 0, to = v.length): Tails {
  const top = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
  const bottom = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
  let topMin = Number.NEGATIVE_INFINITY;
  let bottomMax = Number.POSITIVE_INFINITY;
  for (let i = from; i < to; i++) {
    const x = v[i] as number;
    if (x > topMin) {
      let j = 1;
      while (j < k && (top[j] as number) < x) {
        top[j - 1] = top[j] as number;
        j++;
      }
      top[j - 1] = x;
      topMin = top[0] as number;
    }
    if (x < bottomMax) {
      let j = 1;
      while (j < k && (bottom[j] as number) > x) {
        bottom[j - 1] = bottom[j] as number;
        j++;
      }
      bottom[j - 1] = x;
      bottomMax = bottom[0] as number;
    }
  }
  return { top, bottom };
}

/** The values between which all but a `tail` share of the samples lie at either end. */
export function percentileRange(v: Float32Array, tail = TAIL): Range {
  if (v.length === 0) return { lo: 0, hi: 0 };
  const k = Math.floor(v.length * tail) + 1;
  const t = tails(v, k);
  // With fewer samples than k the buffers hold +-Infinity in their first slots.
  const n = Math.min(k, v.length);
  return { lo: t.bottom[k - n] as number, hi: t.top[k - n] as number };
}

/** Per channel of one NCHW value (batch 1) on one input: its tails, k as for the whole tensor. */
export type ChannelTails = Tails[];

export function channelTails(v: Float32Array, channels: number, tail = TAIL): ChannelTails {
  const plane = v.length / channels;
  const k = Math.min(plane, Math.floor(v.length * tail) + 1);
  return Array.from({ length: channels }, (_, c) => tails(v, k, c * plane, (c + 1) * plane));
}

/** Plain per-channel ranges over all inputs. */
export function channelRanges(perInput: readonly ChannelTails[]): ChannelRanges {
  const channels = perInput[0]?.length ?? 0;
  const lo = new Float32Array(channels).fill(Number.POSITIVE_INFINITY);
  const hi = new Float32Array(channels).fill(Number.NEGATIVE_INFINITY);
  for (const t of perInput) {
    for (let c = 0; c < channels; c++) {
      const { top, bottom } = t[c] as Tails;
      lo[c] = Math.min(lo[c] as number, bottom[bottom.length - 1] as number);
      hi[c] = Math.max(hi[c] as number, top[top.length - 1] as number);
    }
  }
  return { lo, hi };
}

/**
 * The percentile range of a value after channel c is multiplied by scale[c] > 0, without running
 * the model again: the whole tensor's k extremes are among its channels' k extremes.
 */
export function scaledRange(perInput: readonly ChannelTails[], scale: Float32Array): Range {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const t of perInput) {
    const k = t[0]?.top.length ?? 1;
    const tops: number[] = [];
    const bottoms: number[] = [];
    t.forEach((c, i) => {
      const s = scale[i] as number;
      for (const v of c.top) if (Number.isFinite(v)) tops.push(v * s);
      for (const v of c.bottom) if (Number.isFinite(v)) bottoms.push(v * s);
    });
    tops.sort((a, b) => b - a);
    bottoms.sort((a, b) => a - b);
    hi = Math.max(hi, tops[Math.min(k, tops.length) - 1] ?? 0);
    lo = Math.min(lo, bottoms[Math.min(k, bottoms.length) - 1] ?? 0);
  }
  return { lo, hi };
}

/**
 * Runs the float graph on each input and returns the range of every float value the nodes
 * write, plus the graph input (its plain min/max: inputs come from 8-bit pixels, which an
 * exact 1/255 step represents without loss), and for `perChannel` values their channel tails.
 */
export async function calibrate(
  g: QGraph,
  inputs: readonly CalibrationInput[],
  threads: number,
  perChannel: ReadonlySet<string> = new Set(),
): Promise<{ ranges: Map<string, Range>; channels: Map<string, ChannelTails[]> }> {
  const declared = new Set(g.outputs.map((o) => o.name));
  const values = g.nodes.flatMap((n) => n.outputs.filter((o) => o !== ""));
  const extra = values
    .filter((name) => !declared.has(name))
    .map((name) => ({ name, dtype: "float32" as const }));
  const session = await ort.InferenceSession.create(writeGraph(g, extra), {
    ...ortSessionOptions({ intraOpThreads: threads }),
    executionProviders: ["cpu"],
    // The exposed values must be computed as written, not fused away.
    graphOptimizationLevel: "basic",
  });
  const inputName = g.inputs[0]?.name as string;
  const ranges = new Map<string, Range>();
  const channels = new Map<string, ChannelTails[]>();
  const merge = (name: string, r: Range) => {
    const prev = ranges.get(name);
    ranges.set(name, prev ? { lo: Math.min(prev.lo, r.lo), hi: Math.max(prev.hi, r.hi) } : r);
  };
  try {
    for (const input of inputs) {
      const tensor = new ort.Tensor("float32", input.data, input.dims);
      merge(inputName, percentileRange(input.data, 0));
      // A few dozen values per run: all of a deep net's intermediate tensors at once (RRDB has
      // ~250) would hold gigabytes.
      for (let from = 0; from < values.length; from += VALUES_PER_RUN) {
        const fetch = values.slice(from, from + VALUES_PER_RUN);
        const out = await session.run({ [inputName]: tensor }, fetch);
        collect(out);
      }
    }
  } finally {
    await session.release();
  }
  return { ranges, channels };

  function collect(out: ort.InferenceSession.OnnxValueMapType) {
    for (const [name, t] of Object.entries(out)) {
      if (t.type === "float32") {
        const data = t.data as Float32Array;
        if (perChannel.has(name) && t.dims.length === 4) {
          const perInput = channels.get(name) ?? [];
          const ct = channelTails(data, t.dims[1] as number);
          perInput.push(ct);
          channels.set(name, perInput);
          merge(name, scaledRange([ct], new Float32Array(ct.length).fill(1)));
        } else merge(name, percentileRange(data));
      }
      t.dispose();
    }
  }
}
