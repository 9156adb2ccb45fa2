import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../importers/testing/encode";
import { convertNcnnToOnnx } from "./convert";

// Hand-made NCNN nets with the layers of Real-CUGAN and waifu2x (Deconvolution, Crop, Pooling,
// InnerProduct, Scale, broadcasting BinaryOp, Padding) and the conversion's wrap; every
// expected value is computed here from ncnn's definitions (src/layer/*.cpp), not by ONNX.

const f32bytes = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
/** A tagged float32 weight blob (tag 0). */
const f32blob = (values: number[]) => concatBytes([new Uint8Array(4), f32bytes(values)]);

/** Deterministic values in [-1, 1). */
const values = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => (((i + 1) * (seed * 7919 + 104729)) % 2000) / 1000 - 1);

async function run(bytes: Uint8Array, input: number[], dims: number[]) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({
      input: new ort.Tensor("float32", Float32Array.from(input), dims),
    });
    return out[session.outputNames[0] as string] as ort.Tensor;
  } finally {
    await session.release();
  }
}

/** [c][h][w] as nested arrays. */
type Planes = number[][][];

function planes(data: ArrayLike<number>, c: number, h: number, w: number): Planes {
  return Array.from({ length: c }, (_, q) =>
    Array.from({ length: h }, (_, y) =>
      Array.from({ length: w }, (_, x) => data[(q * h + y) * w + x] as number),
    ),
  );
}

function expectClose(got: ort.Tensor, want: Planes, digits = 5) {
  const [c, h, w] = [want.length, want[0]?.length ?? 0, want[0]?.[0]?.length ?? 0];
  expect(got.dims).toEqual([1, c, h, w]);
  const data = got.data as Float32Array;
  for (let q = 0; q < c; q++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        expect(data[(q * h + y) * w + x]).toBeCloseTo(want[q]?.[y]?.[x] as number, digits);
}

/** ncnn's Deconvolution: scatter, no kernel flip, weights [out][in][kh][kw], then cut pads. */
function deconvReference(
  x: Planes,
  weights: number[],
  bias: number[],
  outC: number,
  k: number,
  stride: number,
  pad: number,
): Planes {
  const [inC, h, w] = [x.length, x[0]?.length ?? 0, x[0]?.[0]?.length ?? 0];
  const [fullH, fullW] = [(h - 1) * stride + k, (w - 1) * stride + k];
  const out: Planes = Array.from({ length: outC }, (_, o) =>
    Array.from({ length: fullH }, () => new Array<number>(fullW).fill(bias[o] as number)),
  );
  for (let o = 0; o < outC; o++)
    for (let q = 0; q < inC; q++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const row = out[o]?.[i * stride + ky] as number[];
              row[j * stride + kx] =
                (row[j * stride + kx] as number) +
                (x[q]?.[i]?.[j] as number) * (weights[((o * inC + q) * k + ky) * k + kx] as number);
            }
  return out.map((p) => p.slice(pad, fullH - pad).map((r) => r.slice(pad, fullW - pad)));
}

describe("NCNN U-Net layers", () => {
  it("Deconvolution: ncnn's scatter with weights [out][in][kh][kw], pads cut, fused LeakyReLU", async () => {
    const [inC, outC, k, s, p] = [2, 3, 4, 2, 3];
    const weights = values(outC * inC * k * k, 1);
    const bias = [0.1, -0.2, 0.3];
    const param = `7767517
2 2
Input          in      0 1 data 2=${inC}
Deconvolution  up      1 1 data out 0=${outC} 1=${k} 3=${s} 4=${p} 5=1 6=${weights.length} 9=2 -23310=1,1.000000e-01
`;
    const result = convertNcnnToOnnx(param, concatBytes([f32blob(weights), f32bytes(bias)]));
    const [h, w] = [4, 5];
    const input = values(inC * h * w, 2);
    const want = deconvReference(planes(input, inC, h, w), weights, bias, outC, k, s, p).map(
      (plane) => plane.map((row) => row.map((v) => (v < 0 ? 0.1 * v : v))),
    );
    expect(want[0]?.length).toBe(2 * h - 4); // (h - 1) * 2 + 4 - 6
    expectClose(await run(result.bytes, input, [1, inC, h, w]), want);
  });

  it("Crop: numpy-style slices from both ends, and a crop to a reference blob's size", async () => {
    // a: [4:-4] on h and w (Real-CUGAN); b: c (w=2, h=1 offsets) cropped to the size of `small`
    const param = `7767517
5 7
Input          in      0 1 data 2=2
Split          split   1 3 data d0 d1 d2
Crop           trim    1 1 d0 a -23309=2,4,4 -23310=2,-4,-4 -23311=2,-2,-1
Crop           small   1 1 d1 s -23309=2,3,5 -23310=2,6,9 -23311=2,1,2
Crop           ref     2 1 d2 s b 0=2 1=1
`;
    const result = convertNcnnToOnnx(param, new Uint8Array());
    expect(result.outputNames).toHaveLength(2);
    const [h, w] = [12, 14];
    const input = values(2 * h * w, 3);
    const x = planes(input, 2, h, w);
    const session = await ort.InferenceSession.create(result.bytes);
    const out = await session.run({
      input: new ort.Tensor("float32", Float32Array.from(input), [1, 2, h, w]),
    });
    await session.release();
    const [first, second] = result.outputNames.map((n) => out[n] as ort.Tensor);
    expectClose(
      first as ort.Tensor,
      x.map((plane) => plane.slice(4, h - 4).map((row) => row.slice(4, w - 4))),
    );
    // s is rows 3..6, cols 5..9 (3 x 4); b starts at (h 1, w 2) with that size
    expectClose(
      second as ort.Tensor,
      x.map((plane) => plane.slice(1, 4).map((row) => row.slice(2, 6))),
    );
  });

  it("squeeze-and-excitation: global average, InnerProduct ReLU / sigmoid, per-channel BinaryOp and Scale", async () => {
    const C = 4;
    const w1 = values(2 * C, 4);
    const b1 = [0.05, -0.1];
    const w2 = values(C * 2, 5);
    const b2 = [0.2, -0.3, 0.1, 0];
    const param = `7767517
8 11
Input          in      0 1 data 2=${C}
Split          split   1 3 data x0 x1 x2
Pooling        gap     1 1 x0 v 0=1 4=1
InnerProduct   fc1     1 1 v h 0=2 1=1 2=${2 * C} 9=1
InnerProduct   fc2     1 1 h g 0=${C} 1=1 2=${2 * C} 9=4
Split          gsplit  1 2 g g0 g1
BinaryOp       mul     2 1 x1 g0 m 0=2
Scale          scale   2 1 x2 g1 sc 0=-233
`;
    const bin = concatBytes([f32blob(w1), f32bytes(b1), f32blob(w2), f32bytes(b2)]);
    const result = convertNcnnToOnnx(param, bin);
    expect(result.outputNames).toHaveLength(2);
    const [h, w] = [3, 5];
    const input = values(C * h * w, 6);
    const x = planes(input, C, h, w);
    const mean = x.map((p) => p.flat().reduce((a, v) => a + v, 0) / (h * w));
    const hidden = [0, 1].map((o) =>
      Math.max(
        0,
        mean.reduce((a, m, i) => a + m * (w1[o * C + i] as number), b1[o] as number),
      ),
    );
    const gate = Array.from(
      { length: C },
      (_, o) =>
        1 /
        (1 +
          Math.exp(
            -hidden.reduce((a, v, i) => a + v * (w2[o * 2 + i] as number), b2[o] as number),
          )),
    );
    const want = x.map((plane, q) => plane.map((row) => row.map((v) => v * (gate[q] as number))));
    const session = await ort.InferenceSession.create(result.bytes);
    const out = await session.run({
      input: new ort.Tensor("float32", Float32Array.from(input), [1, C, h, w]),
    });
    await session.release();
    for (const name of result.outputNames) expectClose(out[name] as ort.Tensor, want);
  });

  it("Padding (replicate, reflect) and the wrap: input padding plus a nearest-upscaled residual", async () => {
    const param = `7767517
3 3
Input          in      0 1 data 2=1
Padding        edge    1 1 data e 0=1 1=0 2=0 3=2 4=1
Padding        mirror  1 1 e out 0=0 1=1 2=1 3=0 4=2
`;
    const result = convertNcnnToOnnx(param, new Uint8Array());
    const x = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    // replicate: one row on top, two columns right; reflect (edge excluded): one row below, one column left
    const edge = [
      [1, 2, 3, 3, 3],
      [1, 2, 3, 3, 3],
      [4, 5, 6, 6, 6],
    ];
    const mirror = [...edge, edge[1] as number[]].map((row) => [row[1] as number, ...row]);
    expectClose(await run(result.bytes, x.flat(), [1, 1, 2, 3]), [mirror]);

    // A 1x1 "net" that crops the 1 px wrap pad away (Crop [1:-1]) and doubles: out = 2x + up(x)
    const net = `7767517
3 3
Input          in      0 1 data 2=1
Crop           trim    1 1 data t -23309=2,1,1 -23310=2,-1,-1 -23311=2,1,2
Interp         up      1 1 t out 0=1 1=2.000000e+00 2=2.000000e+00
`;
    const wrapped = convertNcnnToOnnx(net, new Uint8Array(), {
      wrap: { pad: 1, padMode: "reflect", addNearestUpscaled: 2 },
    });
    const up = x.flatMap((row) => {
      const wide = row.flatMap((v) => [2 * v, 2 * v]);
      return [wide, wide];
    });
    expectClose(await run(wrapped.bytes, x.flat(), [1, 1, 2, 3]), [up]);
  });

  it("refuses what it cannot express, naming the layer", () => {
    const param = (line: string) => `7767517
2 2
Input          in      0 1 data 2=1
${line}
`;
    expect(() =>
      convertNcnnToOnnx(param("Pooling p 1 1 data out 0=0 1=2 2=2 5=0"), new Uint8Array()),
    ).toThrow(/layer "p" \(type Pooling, \.param line 4\): pad mode 0 is not supported/);
    expect(() => convertNcnnToOnnx(param("Crop c 1 1 data out 0=1 3=4"), new Uint8Array())).toThrow(
      /layer "c" .*only numpy-style crops/,
    );
    expect(() =>
      convertNcnnToOnnx(param("Deconvolution d 1 1 data out 0=1 1=2 6=4 28=1"), new Uint8Array()),
    ).toThrow(/dynamic weights/);
  });
});
