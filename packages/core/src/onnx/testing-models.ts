import { attr, GraphBuilder, tensor } from "./write";

// Small deterministic models for tests and benchmarks. Weights come from a seeded PRNG so that
// every build of the same options yields identical bytes.

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomWeights(count: number, scale: number, random: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (random() * 2 - 1) * scale;
  return out;
}

function conv(
  g: GraphBuilder,
  input: string,
  inC: number,
  outC: number,
  kernel: number,
  random: () => number,
  gain = 1,
): string {
  const fanIn = inC * kernel * kernel;
  const w = g.constant(
    tensor.f32(
      [outC, inC, kernel, kernel],
      randomWeights(outC * fanIn, gain * Math.sqrt(3 / fanIn), random),
    ),
    "conv_w",
  );
  const b = g.constant(tensor.f32([outC], randomWeights(outC, 0.05, random)), "conv_b");
  const pad = (kernel - 1) / 2;
  return g.node("Conv", [input, w, b], {
    kernel_shape: [kernel, kernel],
    pads: [pad, pad, pad, pad],
  });
}

export interface BuiltModel {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
}

export interface TinySrOptions {
  /** Integer upscale factor (DepthToSpace block size). Default 2. */
  scale?: number;
  /** Image channels in and out (1 gray, 3 RGB). Default 3. */
  channels?: number;
  /** Number of odd-sized convolutions in the body; sets the receptive field. Default 3. */
  layers?: number;
  /** Odd kernel size of every convolution. Default 3. */
  kernel?: number;
  /** Hidden feature channels. Default 8. */
  hidden?: number;
  seed?: number;
}

export interface TinySrModel extends BuiltModel {
  scale: number;
  channels: number;
  /**
   * Radius in input pixels: output pixel (y, x) depends only on input pixels within
   * `receptiveField` of (floor(y / scale), floor(x / scale)), i.e. layers * (kernel - 1) / 2.
   * A tile overlap of at least this many input pixels makes tiled output equal untiled output.
   */
  receptiveField: number;
}

/**
 * Tiny super-resolution net: `layers` Conv(+ReLU) layers, the last producing
 * channels*scale^2 maps, DepthToSpace(scale), plus a nearest-neighbour upscale of the input as
 * a residual so that the output looks like the input upscaled (values stay near 0..1).
 * Input "input" [1, C, H, W] float32, output "output" [1, C, H*scale, W*scale]; H and W dynamic.
 */
export function buildTinySrModel(options: TinySrOptions = {}): TinySrModel {
  const scale = options.scale ?? 2;
  const channels = options.channels ?? 3;
  const layers = options.layers ?? 3;
  const kernel = options.kernel ?? 3;
  const hidden = options.hidden ?? 8;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be a positive integer`);
  if (kernel % 2 !== 1) throw new Error("kernel must be odd");
  if (layers < 1) throw new Error("layers must be >= 1");
  const random = prng(options.seed ?? 1);
  const g = new GraphBuilder("tiny_sr");
  const x = g.input("input", "float32", [1, channels, "height", "width"]);
  let h = x;
  let c = channels;
  for (let i = 0; i < layers; i++) {
    const last = i === layers - 1;
    const outC = last ? channels * scale * scale : hidden;
    h = conv(g, h, c, outC, kernel, random, last ? 0.2 : 1);
    if (!last) h = g.node("Relu", [h]);
    c = outC;
  }
  const detail = scale > 1 ? g.node("DepthToSpace", [h], { blocksize: scale, mode: "CRD" }) : h;
  const base =
    scale > 1
      ? g.node("Resize", [x, "", g.constant(tensor.f32([4], [1, 1, scale, scale]), "scales")], {
          mode: "nearest",
          nearest_mode: "floor",
          coordinate_transformation_mode: "asymmetric",
        })
      : x;
  g.node("Add", [base, detail], undefined, { outputs: ["output"] });
  g.output("output", "float32", [1, channels, "out_height", "out_width"]);
  return {
    bytes: g.toModel(),
    inputName: "input",
    outputName: "output",
    scale,
    channels,
    receptiveField: (layers * (kernel - 1)) / 2,
  };
}

export interface SegmentationOptions {
  /** Fixed square input size; default 256 (the OCTA contract). Use "dynamic" for [1,C,H,W]. */
  size?: number | "dynamic";
  channels?: number;
  /** Append a Sigmoid so the output is a probability map instead of logits. Default false. */
  sigmoid?: boolean;
  inputName?: string;
  outputName?: string;
  seed?: number;
}

/**
 * A small U-Net: two conv levels, MaxPool down, nearest Resize up, skip Concat, 1x1 head.
 * Default: the OCTA contract, input "input" [1,1,256,256] -> output "output" [1,1,256,256]
 * logits. Dynamic sizes must be even.
 */
export function buildSegmentationModel(options: SegmentationOptions = {}): BuiltModel {
  const size = options.size ?? 256;
  const channels = options.channels ?? 1;
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "output";
  const random = prng(options.seed ?? 2);
  const g = new GraphBuilder("tiny_unet");
  const shape = size === "dynamic" ? [1, channels, "height", "width"] : [1, channels, size, size];
  const x = g.input(inputName, "float32", shape);
  const e1 = g.node("Relu", [conv(g, x, channels, 8, 3, random)]);
  const down = g.node("MaxPool", [e1], { kernel_shape: [2, 2], strides: [2, 2] });
  const e2 = g.node("Relu", [conv(g, down, 8, 16, 3, random)]);
  const up = g.node("Resize", [e2, "", g.constant(tensor.f32([4], [1, 1, 2, 2]), "scales")], {
    mode: "nearest",
  });
  const cat = g.node("Concat", [up, e1], { axis: 1 });
  const d1 = g.node("Relu", [conv(g, cat, 24, 8, 3, random)]);
  const head = conv(g, d1, 8, 1, 1, random, 2);
  if (options.sigmoid) g.node("Sigmoid", [head], undefined, { outputs: [outputName] });
  else g.node("Identity", [head], undefined, { outputs: [outputName] });
  g.output(
    outputName,
    "float32",
    size === "dynamic" ? [1, 1, "height", "width"] : [1, 1, size, size],
  );
  return { bytes: g.toModel(), inputName, outputName };
}

export interface ClassifierOptions {
  classes?: number;
  channels?: number;
  /** Fixed square input size; default 32. Use "dynamic" for [1,C,H,W]. */
  size?: number | "dynamic";
  /** Append Softmax (probabilities) instead of returning raw logits. Default true. */
  softmax?: boolean;
  seed?: number;
}

/**
 * Conv-ReLU-GlobalAveragePool-Gemm classifier. Input "input" [1,C,S,S] -> output "output"
 * [1, classes] (softmax probabilities by default).
 */
export function buildClassifierModel(options: ClassifierOptions = {}): BuiltModel {
  const classes = options.classes ?? 3;
  const channels = options.channels ?? 3;
  const size = options.size ?? 32;
  const random = prng(options.seed ?? 3);
  const g = new GraphBuilder("tiny_classifier");
  const shape = size === "dynamic" ? [1, channels, "height", "width"] : [1, channels, size, size];
  const x = g.input("input", "float32", shape);
  const f = g.node("Relu", [conv(g, x, channels, 16, 3, random)]);
  const pooled = g.node("Flatten", [g.node("GlobalAveragePool", [f])], { axis: 1 });
  const w = g.constant(tensor.f32([classes, 16], randomWeights(classes * 16, 2, random)), "fc_w");
  const b = g.constant(tensor.f32([classes], randomWeights(classes, 0.1, random)), "fc_b");
  const logits = g.node("Gemm", [pooled, w, b], {
    transB: 1,
    alpha: attr.float(1),
    beta: attr.float(1),
  });
  if (options.softmax ?? true) g.node("Softmax", [logits], { axis: 1 }, { outputs: ["output"] });
  else g.node("Identity", [logits], undefined, { outputs: ["output"] });
  g.output("output", "float32", [1, classes]);
  return { bytes: g.toModel(), inputName: "input", outputName: "output" };
}
