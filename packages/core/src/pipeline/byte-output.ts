import * as ort from "onnxruntime-node";
import { type OnnxTypes, onnx, toNumber } from "../onnx/proto";
import { GraphBuilder } from "../onnx/write";
import { BYTE_OUTPUT } from "../runtime/runner";
import type { ModelSpec, SuperResolutionSpec } from "../spec/index";
import { BYTE_SCALE, quantiseByte } from "../tensor/index";

// 8-bit results straight from the graph. A super-resolution session gets one more output: its
// image output quantised to 8 bits (QuantizeLinear) and interleaved (Transpose to NHWC), so an
// 8-bit result needs no float pass in JavaScript and onnxruntime hands over a quarter of the
// bytes. Measured on the official AnimeVideo v3 x4 at 1024 px on 2 cores: the run that fetches
// these bytes took 4.6-4.8 s against 5.0-5.3 s fetching the floats, which then took 150-350 ms
// more to quantise and interleave. The float output stays (16-bit and gray results, blended
// tiles, the exact-tiling check); onnxruntime computes every node whichever output is fetched,
// so keeping both costs the 8-bit nodes only.
//
// Pixels quantised in JavaScript (writeRows, tensorToPixels) use the same arithmetic
// (quantiseByte), so a result does not depend on which way its pixels came, and the first use
// in a process checks that onnxruntime's kernel agrees on values at the rounding edges.

/** QuantizeLinear came with opset 10. */
const MIN_OPSET = 10;

/** Whether a spec's sessions get the 8-bit output: colour super-resolution in RGB order. */
export function takesByteOutput(spec: ModelSpec): spec is SuperResolutionSpec {
  return spec.kind === "super_resolution" && spec.colorOrder === "rgb";
}

/**
 * The model's bytes with BYTE_OUTPUT ([1, H, W, C] uint8, the image output quantised as
 * quantiseByte does) added after its image output, for specs that take it
 * (takesByteOutput); other models, graphs too old for QuantizeLinear, and outputs that are not
 * a declared 4-D float32 come back unchanged.
 */
export function withByteOutput(bytes: Uint8Array, spec: ModelSpec): Uint8Array {
  if (!takesByteOutput(spec)) return bytes;
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  const opset = model.opsetImport.find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx");
  if (!graph || !opset || toNumber(opset.version) < MIN_OPSET) return bytes;
  const output = spec.outputName
    ? graph.output?.find((o) => o.name === spec.outputName)
    : graph.output?.[0];
  const source = output?.name;
  // QuantizeLinear takes float32 here, and the Transpose a declared [N, C, H, W]: anything else
  // keeps its floats (and the pipeline's own checks and messages).
  const tensorType = output?.type?.tensorType;
  if (
    !source ||
    tensorType?.elemType !== onnx.TensorProto.DataType.FLOAT ||
    tensorType.shape?.dim?.length !== 4
  ) {
    return bytes;
  }
  const taken = new Set([
    ...(graph.node ?? []).flatMap((n) => [...(n.output ?? []), n.name ?? ""]),
    ...(graph.input ?? []).map((i) => i.name),
    ...(graph.initializer ?? []).map((i) => i.name),
  ]);
  if (taken.has(BYTE_OUTPUT)) return bytes;
  const name = (what: string) => {
    let candidate = `${BYTE_OUTPUT}_${what}`;
    while (taken.has(candidate)) candidate = `_${candidate}`;
    taken.add(candidate);
    return candidate;
  };
  const scale = name("scale");
  const zero = name("zero");
  const planar = name("planar");
  graph.initializer = [
    ...(graph.initializer ?? []),
    {
      name: scale,
      dataType: onnx.TensorProto.DataType.FLOAT,
      dims: [],
      floatData: [BYTE_SCALE[spec.outputRange]],
    },
    { name: zero, dataType: onnx.TensorProto.DataType.UINT8, dims: [], int32Data: [0] },
  ];
  const nodes: OnnxTypes.INodeProto[] = [
    { opType: "QuantizeLinear", input: [source, scale, zero], output: [planar], name: planar },
    {
      opType: "Transpose",
      input: [planar],
      output: [BYTE_OUTPUT],
      name: BYTE_OUTPUT,
      attribute: [
        { name: "perm", type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 3, 1] },
      ],
    },
  ];
  graph.node = [...(graph.node ?? []), ...nodes];
  graph.output = [
    ...(graph.output ?? []),
    {
      name: BYTE_OUTPUT,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.UINT8,
          shape: {
            dim: [
              { dimValue: 1 },
              { dimParam: "height" },
              { dimParam: "width" },
              { dimParam: "channels" },
            ],
          },
        },
      },
    },
  ];
  return onnx.ModelProto.encode(model).finish();
}

let agreement: Promise<boolean> | undefined;

/**
 * Whether this process's onnxruntime quantises as quantiseByte does, checked once on values at
 * every rounding edge of both scales (and outside the range). Where it does not (another CPU's
 * kernel), 8-bit results are quantised in JavaScript only, so they never depend on the path.
 */
export function byteOutputAgrees(): Promise<boolean> {
  agreement ??= checkAgreement().catch(() => false);
  return agreement;
}

async function checkAgreement(): Promise<boolean> {
  const values: number[] = [Number.NaN, -1, -0.5, 0, 256, 1e9, Number.POSITIVE_INFINITY];
  for (let n = 0; n <= 256; n++) {
    for (const edge of [(n + 0.5) / 255, n + 0.5, n / 255]) {
      let v = Math.fround(edge);
      for (let step = 0; step < 3; step++) v = nextDown(v);
      for (let step = 0; step < 7; step++, v = nextUp(v)) values.push(v);
    }
  }
  const input = Float32Array.from(values);
  const g = new GraphBuilder("byte-output-check");
  const x = g.input("x", "float32", [input.length]);
  const zero = g.constant({ dtype: "uint8", dims: [], data: new Uint8Array([0]) }, "zero");
  const ranges = Object.keys(BYTE_SCALE) as (keyof typeof BYTE_SCALE)[];
  for (const range of ranges) {
    const scale = g.constant(
      { dtype: "float32", dims: [], data: new Float32Array([BYTE_SCALE[range]]) },
      "scale",
    );
    g.output(g.node("QuantizeLinear", [x, scale, zero], undefined, { outputs: [range] }), "uint8", [
      input.length,
    ]);
  }
  const session = await ort.InferenceSession.create(g.toModel(), { executionProviders: ["cpu"] });
  try {
    const out = await session.run({ x: new ort.Tensor("float32", input, [input.length]) });
    return ranges.every((range) => {
      const got = out[range]?.data as Uint8Array;
      return input.every((v, i) => got[i] === quantiseByte(v, range));
    });
  } finally {
    await session.release();
  }
}

const bits = new Float32Array(1);
const word = new Uint32Array(bits.buffer);

/** The next float32 above / below a finite float32 (sign-magnitude steps of its bits). */
function nextUp(v: number): number {
  if (v === 0) return 1.401298464324817e-45;
  bits[0] = v;
  word[0] = (word[0] as number) + (v > 0 ? 1 : -1);
  return bits[0] as number;
}
function nextDown(v: number): number {
  return -nextUp(-v);
}
