import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../importers/testing/encode";
import { float32ToFloat16Bits } from "../onnx/float16";
import { inspectOnnx } from "../onnx/inspect";
import { convertNcnnToOnnx } from "./convert";

// Hand-made NCNN nets whose results are computed independently here.

function f32bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

function f16blob(values: number[]): Uint8Array {
  const tag = new Uint8Array(Uint32Array.of(0x01306b47).buffer);
  const padded = new Uint16Array(values.length + (values.length % 2));
  values.forEach((v, i) => {
    padded[i] = float32ToFloat16Bits(v);
  });
  return concatBytes([tag, new Uint8Array(padded.buffer)]);
}

function f32blob(values: number[]): Uint8Array {
  return concatBytes([new Uint8Array(4), f32bytes(values)]);
}

async function run(bytes: Uint8Array, input: Float32Array, dims: number[]) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor("float32", input, dims) });
    return out[session.outputNames[0] as string] as ort.Tensor;
  } finally {
    await session.release();
  }
}

const PARAM = `7767517
8 10
Input            in      0 1 data
Split            split   1 2 data a b
Convolution      conv    1 1 a c 0=3 1=1 5=1 6=6 9=2 -23310=1,1.000000e-01
PReLU            prelu   1 1 b p 0=2
Convolution      widen   1 1 p q 0=3 1=1 5=0 6=6
Eltwise          sum     2 1 c q s 0=1 -23301=2,5.000000e-01,2.000000e+00
BinaryOp         rsub    1 1 s r 0=7 1=1 2=3.000000e+00
Interp           up      1 1 r u 0=1 1=2.000000e+00 2=2.000000e+00
`;

describe("convertNcnnToOnnx (synthetic nets)", () => {
  // conv: 2 -> 3 channels 1x1, fp16 weights, bias, fused LeakyReLU(0.1)
  const convW = [1, 0, 0, 1, 1, -1]; // [out][in]
  const convB = [-1, 0.5, 0];
  const slopes = [0.25, 0.5];
  const widenW = [1, 0, 0, 1, 0.5, 0.5]; // float32-tagged blob
  const leaky = (v: number) => (v < 0 ? 0.1 * v : v);

  function reference(x: number[][]): number[][] {
    // x: [channel][pixel]
    const n = x[0]?.length ?? 0;
    const out: number[][] = [];
    for (let o = 0; o < 3; o++) {
      const row: number[] = [];
      for (let i = 0; i < n; i++) {
        const x0 = x[0]?.[i] as number;
        const x1 = x[1]?.[i] as number;
        const c = leaky(
          (convW[o * 2] as number) * x0 + (convW[o * 2 + 1] as number) * x1 + (convB[o] as number),
        );
        const p0 = x0 < 0 ? (slopes[0] as number) * x0 : x0;
        const p1 = x1 < 0 ? (slopes[1] as number) * x1 : x1;
        const q = (widenW[o * 2] as number) * p0 + (widenW[o * 2 + 1] as number) * p1;
        row.push(3 - (0.5 * c + 2 * q));
      }
      out.push(row);
    }
    return out;
  }

  it("matches a reference computation for Split, Conv(fp16+f32 blobs), PReLU, Eltwise, BinaryOp, Interp", async () => {
    const param = PARAM;
    const bin = concatBytes([f16blob(convW), f32bytes(convB), f32bytes(slopes), f32blob(widenW)]);
    const result = convertNcnnToOnnx(param, bin);
    expect(result.inputChannels).toBe(2);
    expect(result.outputChannels).toEqual([3]);
    expect(result.weightStorage).toEqual({ float16: 1, float32: 1 });
    const [H, W] = [2, 3];
    const x = [
      [0.5, -1, 2, -0.25, 0, 1.5],
      [-2, 0.75, -0.5, 1, 3, -1],
    ];
    const y = await run(result.bytes, Float32Array.from(x.flat()), [1, 2, H, W]);
    expect(y.dims).toEqual([1, 3, H * 2, W * 2]);
    const expected = reference(x);
    const data = y.data as Float32Array;
    for (let c = 0; c < 3; c++) {
      for (let oy = 0; oy < H * 2; oy++) {
        for (let ox = 0; ox < W * 2; ox++) {
          const want = expected[c]?.[Math.floor(oy / 2) * W + Math.floor(ox / 2)] as number;
          expect(data[c * H * W * 4 + oy * W * 2 + ox]).toBeCloseTo(want, 5);
        }
      }
    }
  });

  it("rejects an unknown layer, naming the layer and its type", () => {
    const param = `7767517
3 3
Input            in      0 1 data
LSTM             lstm_7  1 1 data d 0=3 1=144 2=1
ReLU             relu    1 1 d out
`;
    expect(() => convertNcnnToOnnx(param, new Uint8Array())).toThrow(
      /layer "lstm_7" \(type LSTM, \.param line 4\): unsupported NCNN layer type "LSTM"/,
    );
  });

  it("requires the .bin to be consumed exactly", () => {
    const param = `7767517
2 2
Input            in      0 1 data
Convolution      conv    1 1 data out 0=1 1=1 5=1 6=1
`;
    const good = concatBytes([f32blob([2]), f32bytes([1])]);
    expect(() => convertNcnnToOnnx(param, good)).not.toThrow();
    expect(() => convertNcnnToOnnx(param, concatBytes([good, new Uint8Array(4)]))).toThrow(
      ".bin has 4 unread bytes after the last layer (read 12 of 16); the .bin does not match the .param",
    );
    expect(() => convertNcnnToOnnx(param, good.subarray(0, 10))).toThrow(
      /\.bin ends early: .*conv.* bias needs 4 bytes at offset 8, only 2 left/,
    );
  });

  it("rejects files that are not NCNN params and reads Concat axes and channel counts", () => {
    expect(() => convertNcnnToOnnx("hello\n", new Uint8Array())).toThrow(
      /not an NCNN \.param file/,
    );
    const param = `7767517
4 5
Input            in      0 1 data 2=4
Split            split   1 2 data a b
Concat           cat     2 1 a b c 0=0
PixelShuffle     ps      1 1 c out 0=2
`;
    const result = convertNcnnToOnnx(param, new Uint8Array());
    expect(result.outputChannels).toEqual([2]);
    const info = inspectOnnx(result.bytes);
    expect(info.inputs[0]?.shape).toEqual([1, 4, "height", "width"]);
    expect(info.outputs[0]?.shape).toEqual([1, 2, "out_height", "out_width"]);
  });

  it("converts fused activations, depthwise convolution and ReLU slopes exactly", async () => {
    // Each branch: depthwise 1x1 conv with weight 2 (bias 0) on 1 channel, then an activation.
    const acts: [string, (v: number) => number][] = [
      ["9=3 -23310=2,-5.000000e-01,1.500000e+00", (v) => Math.min(1.5, Math.max(-0.5, v))],
      ["9=4", (v) => 1 / (1 + Math.exp(-v))],
      ["9=5", (v) => v * Math.tanh(Math.log1p(Math.exp(v)))],
      [
        "9=6 -23310=2,2.000000e-01,5.000000e-01",
        (v) => v * Math.min(1, Math.max(0, 0.2 * v + 0.5)),
      ],
    ];
    const lines = acts.map(
      ([p], i) => `ConvolutionDepthWise dw${i} 1 1 s${i} y${i} 0=1 1=1 5=1 6=1 7=1 ${p}`,
    );
    const param = `7767517
${3 + acts.length} ${2 + 2 * acts.length + 1}
Input in 0 1 data 2=1
ReLU leaky 1 1 data l 0=1.000000e-01
Split split 1 ${acts.length} l ${acts.map((_, i) => `s${i}`).join(" ")}
${lines.join("\n")}
`;
    const bin = concatBytes(acts.map(() => concatBytes([f32blob([2]), f32bytes([0])])));
    const result = convertNcnnToOnnx(param, bin);
    expect(result.outputNames).toHaveLength(acts.length);
    const x = [-3, -1, -0.2, 0, 0.3, 0.8, 2, 4];
    const session = await ort.InferenceSession.create(result.bytes);
    const out = await session.run({
      input: new ort.Tensor("float32", Float32Array.from(x), [1, 1, 2, 4]),
    });
    await session.release();
    acts.forEach(([, fn], i) => {
      const got = out[result.outputNames[i] as string]?.data as Float32Array;
      x.forEach((v, k) => {
        const leaky = v < 0 ? 0.1 * v : v;
        expect(got[k]).toBeCloseTo(fn(2 * leaky), 5);
      });
    });
  });
});
