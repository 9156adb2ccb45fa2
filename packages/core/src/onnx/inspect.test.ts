import { describe, expect, it } from "vitest";
import { assertRunnable, decodeModel, inspectOnnx, OnnxInspectError } from "./inspect";
import { type OnnxTypes, onnx } from "./proto";
import { buildTinySrModel } from "./testing-models";
import { GraphBuilder, tensor } from "./write";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof OnnxInspectError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error("expected an error");
}

describe("inspectOnnx", () => {
  it("reports IR version, opsets, I/O with symbolic dims and parameter counts", () => {
    const model = buildTinySrModel({ scale: 2, layers: 2, hidden: 4, channels: 3 });
    const info = inspectOnnx(model.bytes);
    expect(info.irVersion).toBe(8);
    expect(info.opsetImports).toEqual([{ domain: "", version: 17 }]);
    expect(info.opset).toBe(17);
    expect(info.inputs).toEqual([
      { name: "input", dtype: "float32", shape: [1, 3, "height", "width"] },
    ]);
    expect(info.outputs).toEqual([
      { name: "output", dtype: "float32", shape: [1, 3, "out_height", "out_width"] },
    ]);
    // conv1 3->4 (3x3) + bias, conv2 4->12 + bias, resize scales (4)
    expect(info.initializerCount).toBe(5);
    expect(info.parameterCount).toBe(4 * 3 * 9 + 4 + 12 * 4 * 9 + 12 + 4);
    expect(info.opTypes).toMatchObject({ Conv: 2, Relu: 1, DepthToSpace: 1, Resize: 1, Add: 1 });
    expect(info.customDomains).toEqual([]);
    expect(info.externalData).toEqual([]);
    expect(() => assertRunnable(info)).not.toThrow();
  });

  it("excludes initializers listed as graph inputs (old IR style) and reads unknown dims", () => {
    const g = new GraphBuilder();
    g.input("x", "float32", [null, 4]);
    g.input("w", "float32", [4]);
    g.initializer("w_init", tensor.f32([4], [1, 2, 3, 4]));
    g.node("Mul", ["x", "w"], undefined, { outputs: ["y"] });
    g.output("y", "int64");
    const proto = onnx.ModelProto.decode(g.toModel());
    // make "w" both input and initializer as IR<4 exporters did
    const first = proto.graph?.initializer?.[0];
    if (first) first.name = "w";
    const info = inspectOnnx(onnx.ModelProto.encode(proto).finish());
    expect(info.inputs).toEqual([{ name: "x", dtype: "float32", shape: [null, 4] }]);
    expect(info.outputs).toEqual([{ name: "y", dtype: "int64", shape: null }]);
  });

  it("finds external data references and rejects them", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [2]);
    g.output(g.node("Add", [x, g.initializer("bias", tensor.f32([2], [1, 2]))]), "float32", [2]);
    const proto = onnx.ModelProto.decode(g.toModel());
    const init = proto.graph?.initializer?.[0] as OnnxTypes.TensorProto;
    init.rawData = new Uint8Array();
    init.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    init.externalData = [
      { key: "location", value: "weights.bin" },
      { key: "offset", value: "0" },
      { key: "length", value: "8" },
    ];
    const info = inspectOnnx(onnx.ModelProto.encode(proto).finish());
    expect(info.externalData).toEqual([
      { tensor: "bias", location: "weights.bin", offset: 0, length: 8 },
    ]);
    expect(codeOf(() => assertRunnable(info))).toBe(
      "external_data: the model stores 1 tensor(s) in external data files (weights.bin): bias; upload a single self-contained .onnx (save with all tensors embedded)",
    );
  });

  it("finds custom op domains, including inside subgraphs, and rejects them", () => {
    const inner = new GraphBuilder("then");
    inner.node("FancyOp", [], undefined, { outputs: ["t"], domain: "com.example" });
    inner.output("t", "float32", [1]);
    const g = new GraphBuilder();
    const cond = g.input("cond", "bool", []);
    const elseBranch = new GraphBuilder("else");
    elseBranch.node(
      "Constant",
      [],
      { value: { kind: "tensor", value: tensor.f32([1], [0]) } },
      {
        outputs: ["e"],
      },
    );
    elseBranch.output("e", "float32", [1]);
    const bytes = g.toModel({
      opsetImports: [
        { domain: "", version: 17 },
        { domain: "com.example", version: 1 },
      ],
    });
    // attach the branches as graph attributes of an If node by hand
    const proto = onnx.ModelProto.decode(bytes);
    const encodeGraph = (b: GraphBuilder) =>
      onnx.ModelProto.decode(b.toModel()).graph as OnnxTypes.IGraphProto;
    proto.graph?.node?.push(
      onnx.NodeProto.create({
        opType: "If",
        input: [cond],
        output: ["out"],
        attribute: [
          {
            name: "then_branch",
            type: onnx.AttributeProto.AttributeType.GRAPH,
            g: encodeGraph(inner),
          },
          {
            name: "else_branch",
            type: onnx.AttributeProto.AttributeType.GRAPH,
            g: encodeGraph(elseBranch),
          },
        ],
      }),
    );
    proto.graph?.output?.push({ name: "out", type: { tensorType: { elemType: 1 } } });
    const info = inspectOnnx(onnx.ModelProto.encode(proto).finish());
    expect(info.customDomains).toEqual(["com.example"]);
    expect(info.opTypes["com.example::FancyOp"]).toBe(1);
    expect(info.nodeCount).toBe(3); // If + FancyOp + Constant
    expect(info.constantCount).toBe(1);
    expect(info.parameterCount).toBe(1);
    expect(codeOf(() => assertRunnable(info))).toBe(
      'custom_domain: the model uses custom operator domain(s) "com.example" (ops: com.example::FancyOp); only standard ONNX operators (domains "", "ai.onnx", "ai.onnx.ml") are supported',
    );
    expect(() => assertRunnable(info, { allowDomains: ["com.example"] })).not.toThrow();
  });

  it("gives clear errors for truncated, empty and non-ONNX files", () => {
    const bytes = buildTinySrModel().bytes;
    expect(codeOf(() => decodeModel(bytes.subarray(0, Math.floor(bytes.length / 2))))).toMatch(
      /^truncated: not a complete ONNX model: the protobuf data ends early/,
    );
    expect(codeOf(() => decodeModel(new Uint8Array()))).toBe("empty: the file is empty");
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    expect(codeOf(() => inspectOnnx(png))).toBe(
      "not_onnx: not an ONNX model: the file is a PNG image",
    );
    const zip = new TextEncoder().encode("PK\u0003\u0004rest-of-a-zip");
    expect(codeOf(() => inspectOnnx(zip))).toMatch(/^not_onnx: .*ZIP archive/);
    const ncnn = new TextEncoder().encode("7767517\n3 3\nInput data 0 1 data\n");
    expect(codeOf(() => inspectOnnx(ncnn))).toBe(
      "not_onnx: not an ONNX model: the file is an NCNN .param file",
    );
    const text = new TextEncoder().encode("hello, this is definitely not a model\n");
    expect(codeOf(() => inspectOnnx(text))).toMatch(/^(not_onnx|truncated|no_graph): /);
    const random = new Uint8Array(4096);
    let s = 7;
    for (let i = 0; i < random.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      random[i] = s >>> 24;
    }
    expect(codeOf(() => inspectOnnx(random))).toMatch(/^(not_onnx|truncated|no_graph): /);
  });
});
