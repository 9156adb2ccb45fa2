import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { float16BitsToFloat32, float32ToFloat16Bits } from "./float16";
import { attr, encodeModel, GraphBuilder, tensor } from "./write";

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe("GraphBuilder", () => {
  it("builds Conv + Sigmoid that onnxruntime runs with the expected values", async () => {
    const g = new GraphBuilder("conv_sigmoid");
    const x = g.input("x", "float32", [1, 1, "H", "W"]);
    // 3x3 box filter (sum) with bias -1
    const w = g.initializer("w", tensor.f32([1, 1, 3, 3], new Array(9).fill(1)));
    const b = g.initializer("b", tensor.f32([1], [-1]));
    const conv = g.node("Conv", [x, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    g.output(g.node("Sigmoid", [conv]), "float32", [1, 1, "H", "W"]);
    const bytes = g.toModel();

    const input = new Float32Array([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1]);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(["x"]);
    const outName = session.outputNames[0] as string;
    const out = await session.run({ x: new ort.Tensor("float32", input, [1, 1, 3, 4]) });
    await session.release();
    const y = out[outName]?.data as Float32Array;
    expect(out[outName]?.dims).toEqual([1, 1, 3, 4]);
    const at = (r: number, c: number) =>
      r < 0 || r >= 3 || c < 0 || c >= 4 ? 0 : (input[r * 4 + c] as number);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        let s = -1;
        for (let dr = -1; dr <= 1; dr++) for (let dc = -1; dc <= 1; dc++) s += at(r + dr, c + dc);
        expect(y[r * 4 + c]).toBeCloseTo(1 / (1 + Math.exp(-s)), 5);
      }
    }
  });

  it("stores float16 initializers and float attributes", async () => {
    const g = new GraphBuilder("f16");
    const x = g.input("x", "float32", [4]);
    const half = g.constant(tensor.f16([4], [0.5, -2, 1000, 0.1]), "half");
    const asFloat = g.node("Cast", [half], { to: 1 });
    const sum = g.node("Add", [x, asFloat]);
    const leaky = g.node("LeakyRelu", [sum], { alpha: attr.float(0) });
    g.output(leaky, "float32", [4]);
    const out = await run(g.toModel(), {
      x: new ort.Tensor("float32", Float32Array.of(1, 1, 1, 1), [4]),
    });
    const y = Array.from(out[leaky]?.data as Float32Array);
    expect(y[0]).toBe(1.5);
    expect(y[1] === 0).toBe(true); // -1 through LeakyRelu alpha 0 (may be -0)
    expect(y[2]).toBe(1001);
    expect(y[3]).toBeCloseTo(1 + float16BitsToFloat32(float32ToFloat16Bits(0.1)), 6);
  });

  it("runs a float16 graph end to end", async () => {
    const g = new GraphBuilder("half_io");
    const x = g.input("x", "float16", [2]);
    const y = g.node("Identity", [x]);
    g.output(y, "float16", [2]);
    const bits = Uint16Array.of(float32ToFloat16Bits(1.5), float32ToFloat16Bits(-3));
    const out = await run(g.toModel(), { x: new ort.Tensor("float16", bits, [2]) });
    const result = out[y]?.data as Uint16Array;
    expect(Array.from(result, float16BitsToFloat32)).toEqual([1.5, -3]);
  });

  it("supports int64 constant inputs, multiple outputs and symbolic dims", async () => {
    const g = new GraphBuilder("split_reshape");
    const x = g.input("x", "float32", ["N", 4]);
    const [a, b] = g.nodeOutputs(
      "Split",
      [x, g.constant(tensor.shape([2, 2]))],
      { axis: 1 },
      {
        count: 2,
      },
    ) as [string, string];
    const flat = g.node("Reshape", [b, g.constant(tensor.shape([-1]))]);
    g.output(a, "float32", ["N", 2]);
    g.output(flat, "float32", [null]);
    const session = await ort.InferenceSession.create(
      g.toModel({ opsetImports: [{ domain: "", version: 13 }] }),
    );
    const out = await session.run({
      x: new ort.Tensor("float32", Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), [2, 4]),
    });
    await session.release();
    expect(Array.from(out[a]?.data as Float32Array)).toEqual([1, 2, 5, 6]);
    expect(Array.from(out[flat]?.data as Float32Array)).toEqual([3, 4, 7, 8]);
  });

  it("rejects undefined values and duplicate names", () => {
    expect(() =>
      encodeModel({
        graph: {
          name: "bad",
          inputs: [{ name: "x", dtype: "float32", shape: [1] }],
          outputs: [{ name: "y", dtype: "float32", shape: [1] }],
          initializers: [],
          nodes: [{ op: "Relu", inputs: ["typo"], outputs: ["y"], name: "r" }],
        },
      }),
    ).toThrow('node r (Relu) uses undefined value "typo"');
    const g = new GraphBuilder();
    g.input("x", "float32", [1]);
    expect(() => g.input("x", "float32", [1])).toThrow('value name "x" is already used');
    expect(() => tensor.f32([2, 2], [1, 2, 3])).toThrow("need 4 values, got 3");
  });
});

describe("float16", () => {
  it("rounds to nearest even and handles specials", () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(1);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN)))).toBe(true);
    for (let bits = 0; bits < 0x7c00; bits += 7) {
      expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
    }
  });
});
