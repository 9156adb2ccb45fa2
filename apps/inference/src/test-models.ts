// Synthetic ONNX models for the service's tests: one per way a weight can be bad, built with
// core's writer so every case is a real protobuf that onnxruntime really loads (or refuses).
import { attr, decodeModel, GraphBuilder, tensor } from "@studio/core/onnx";
import { loadOrt } from "./ort";

/** Re-encodes a decoded model after a test has changed it by hand. */
function reencode(proto: ReturnType<typeof decodeModel>): Uint8Array {
  const ctor = proto.constructor as unknown as {
    encode(message: unknown): { finish(): Uint8Array };
  };
  return ctor.encode(proto).finish();
}

/** x -> op(x) with a dynamic [1, C, H, W] image in and out. */
function imageGraph(
  name: string,
  channels: number,
  body: (g: GraphBuilder, x: string) => string,
): Uint8Array {
  const g = new GraphBuilder(name);
  const x = g.input("input", "float32", [1, channels, "H", "W"]);
  const y = body(g, x);
  g.node("Identity", [y], undefined, { outputs: ["output"] });
  g.output("output", "float32", [1, channels, "H", "W"]);
  return g.toModel();
}

/** 0 * x / 0: every output value is NaN. */
export function nanModel(): Uint8Array {
  return imageGraph("nan", 1, (g, x) => {
    const zero = g.node("Mul", [x, g.constant(tensor.scalar(0))]);
    return g.node("Div", [zero, zero]);
  });
}

/** 0 * x + 0.5: the same value whatever the input (a "black image" model). */
export function constantModel(): Uint8Array {
  return imageGraph("constant", 1, (g, x) => {
    const zero = g.node("Mul", [x, g.constant(tensor.scalar(0))]);
    return g.node("Add", [zero, g.constant(tensor.scalar(0.5))]);
  });
}

/** Sigmoid(x) through an operator of a custom domain that onnxruntime does not know. */
export function customDomainModel(): Uint8Array {
  const g = new GraphBuilder("custom");
  const x = g.input("input", "float32", [1, 1, "H", "W"]);
  g.node("FancyOp", [x], undefined, { outputs: ["output"], domain: "com.example" });
  g.output("output", "float32", [1, 1, "H", "W"]);
  return g.toModel({
    opsetImports: [
      { domain: "", version: 17 },
      { domain: "com.example", version: 1 },
    ],
  });
}

/** A bias stored in a side file (weights.bin) rather than in the model. */
export function externalDataModel(): Uint8Array {
  const g = new GraphBuilder("external");
  const x = g.input("input", "float32", [1, 1, "H", "W"]);
  const b = g.initializer("bias", tensor.f32([1], [1]));
  g.node("Add", [x, b], undefined, { outputs: ["output"] });
  g.output("output", "float32", [1, 1, "H", "W"]);
  const proto = decodeModel(g.toModel());
  const init = proto.graph?.initializer?.[0] as unknown as Record<string, unknown>;
  init.rawData = new Uint8Array();
  init.floatData = [];
  init.dataLocation = 1; // TensorProto.DataLocation.EXTERNAL
  init.externalData = [
    { key: "location", value: "weights.bin" },
    { key: "offset", value: "0" },
    { key: "length", value: "4" },
  ];
  return reencode(proto);
}

/**
 * A tiny graph that asks ConstantOfShape for `gigabytes` of float32 at run time (the shape
 * is a constant, but onnxruntime skips folding anything above 1 GB, so it happens at run).
 */
export function memoryBombModel(gigabytes: number): Uint8Array {
  const elements = Math.round((gigabytes * 1024 ** 3) / 4);
  const side = 1024;
  const rest = Math.max(1, Math.round(elements / (side * side)));
  return imageGraph("bomb", 1, (g, x) => {
    const shape = g.constant(tensor.shape([side, side, rest]), "shape");
    const big = g.node("ConstantOfShape", [shape], { value: attr.tensor(tensor.f32([1], [1])) });
    const sum = g.node("ReduceSum", [big], { keepdims: 0 });
    return g.node("Add", [x, sum]);
  });
}

/** `layers` 3x3 convolutions of `width` channels sharing one weight: slow on purpose. */
export function slowModel(layers = 16, width = 192): Uint8Array {
  return imageGraph("slow", 1, (g, x) => {
    const w = new Array(width * width * 9).fill(0).map((_, i) => Math.sin(i) * 0.01);
    const wIn = g.initializer("w_in", tensor.f32([width, 1, 3, 3], new Array(width * 9).fill(0.1)));
    const wMid = g.initializer("w_mid", tensor.f32([width, width, 3, 3], w));
    const wOut = g.initializer(
      "w_out",
      tensor.f32([1, width, 3, 3], new Array(width * 9).fill(0.01)),
    );
    const pads = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
    let h = g.node("Conv", [x, wIn], pads);
    for (let i = 0; i < layers; i++) h = g.node("Relu", [g.node("Conv", [h, wMid], pads)]);
    return g.node("Conv", [h, wOut], pads);
  });
}

/**
 * A slowModel sized from the speed of this machine, measured now: one run on a
 * [1, 1, height, width] input takes about `targetMs` with `threads` onnxruntime threads. Tests
 * that need a long model run build it with this instead of assuming how fast a machine is.
 * (A preview with tile "off" runs the model on the whole image, not on the crop.)
 */
export async function calibratedSlowModel(opts: {
  targetMs: number;
  width: number;
  height: number;
  threads: number;
  channels?: number;
}): Promise<{ bytes: Uint8Array; layers: number; layerMs: number }> {
  const channels = opts.channels ?? 64;
  const probeLayers = 4;
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(slowModel(probeLayers, channels), {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  try {
    const input = new ort.Tensor("float32", new Float32Array(opts.width * opts.height).fill(0.5), [
      1,
      1,
      opts.height,
      opts.width,
    ]);
    const feeds = { [session.inputNames[0] as string]: input };
    await session.run(feeds);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      await session.run(feeds);
      best = Math.min(best, performance.now() - started);
    }
    // The first and last convolutions count as one more layer: an overestimate of a layer's
    // cost would make the model shorter than asked.
    const layerMs = best / (probeLayers + 1);
    const layers = Math.min(5000, Math.max(1, Math.ceil(opts.targetMs / layerMs)));
    return { bytes: slowModel(layers, channels), layers, layerMs };
  } finally {
    await session.release();
  }
}
