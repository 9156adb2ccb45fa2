import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { GraphBuilder, tensor } from "../onnx/write";
import {
  countGlobalAverages,
  SQUEEZE_FEATURES,
  squeezeInputName,
  squeezeVariant,
} from "./squeeze-graphs";

// A tiny net with two squeeze-and-excitation gates, each scaling a valid convolution's output by
// sigmoid(its global average), the second one's input depending on the first gate.
function tinySqueezeNet(): Uint8Array {
  const g = new GraphBuilder("tiny-se");
  g.input("input", "float32", [1, 3, "h", "w"]);
  const weights = (n: number, seed: number) =>
    Array.from({ length: n }, (_, i) => Math.sin(seed * 7 + i * 1.3) * 0.3);
  let x = "input";
  for (let k = 0; k < 2; k++) {
    const c = g.node("Conv", [x, g.constant(tensor.f32([3, 3, 3, 3], weights(81, k)), "w")], {
      kernel_shape: [3, 3],
    });
    const mean = g.node("GlobalAveragePool", [c]);
    x = g.node("Mul", [c, g.node("Sigmoid", [mean])]);
  }
  g.node("Identity", [x], undefined, { outputs: ["output"] });
  g.output("output", "float32", [1, 3, "oh", "ow"]);
  return g.toModel();
}

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 101) / 100);

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run(feeds);
    return { out, inputs: session.inputNames, outputs: session.outputNames };
  } finally {
    await session.release();
  }
}

describe("squeeze variants of a graph", () => {
  it("stage k ends at the k-th average's features; the final net takes every average", async () => {
    const bytes = tinySqueezeNet();
    expect(countGlobalAverages(bytes)).toBe(2);
    const input = new ort.Tensor("float32", ramp(3 * 12 * 10), [1, 3, 12, 10]);
    const whole = (await run(bytes, { input })).out.output as ort.Tensor;

    const stage0 = await run(squeezeVariant(bytes, 0), { input });
    expect(stage0.inputs).toEqual(["input"]);
    expect(stage0.outputs).toEqual([SQUEEZE_FEATURES]);
    const f0 = stage0.out[SQUEEZE_FEATURES] as ort.Tensor;
    expect(f0.dims).toEqual([1, 3, 10, 8]);
    const mean = (t: ort.Tensor) => {
      const [c, h, w] = [t.dims[1] as number, t.dims[2] as number, t.dims[3] as number];
      const data = t.data as Float32Array;
      return Float32Array.from({ length: c }, (_, k) => {
        let s = 0;
        for (let i = 0; i < h * w; i++) s += data[k * h * w + i] as number;
        return s / (h * w);
      });
    };
    const m0 = new ort.Tensor("float32", mean(f0), [1, 3, 1, 1]);
    const stage1 = await run(squeezeVariant(bytes, 1), { input, [squeezeInputName(0)]: m0 });
    expect(stage1.inputs).toEqual(["input", "squeeze_0"]);
    const f1 = stage1.out[SQUEEZE_FEATURES] as ort.Tensor;
    expect(f1.dims).toEqual([1, 3, 8, 6]);
    const m1 = new ort.Tensor("float32", mean(f1), [1, 3, 1, 1]);

    // fed the averages of the whole input, the final net is the original
    const final = await run(squeezeVariant(bytes, "final"), {
      input,
      squeeze_0: m0,
      squeeze_1: m1,
    });
    expect(final.inputs).toEqual(["input", "squeeze_0", "squeeze_1"]);
    const y = final.out.output as ort.Tensor;
    expect(y.dims).toEqual(whole.dims);
    const [a, b] = [y.data as Float32Array, whole.data as Float32Array];
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i] as number, 5);
    // and other averages change it: the inputs are really used
    const other = await run(squeezeVariant(bytes, "final"), {
      input,
      squeeze_0: m0,
      squeeze_1: new ort.Tensor("float32", new Float32Array(3), [1, 3, 1, 1]),
    });
    expect((other.out.output as ort.Tensor).data).not.toEqual(y.data);
  });

  it("refuses a stage the graph does not have", () => {
    expect(() => squeezeVariant(tinySqueezeNet(), 2)).toThrow(/stage 2 of 2/);
  });
});
