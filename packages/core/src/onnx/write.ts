import { float32ArrayToFloat16 } from "./float16";
import { type OnnxTypes, onnx } from "./proto";

/** Element types the writer can store. float16 data is passed as raw bits (Uint16Array). */
export type DataType =
  | "float32"
  | "float16"
  | "float64"
  | "int64"
  | "int32"
  | "int8"
  | "uint8"
  | "bool";

type DataArray<T extends DataType> = T extends "float32"
  ? Float32Array
  : T extends "float16"
    ? Uint16Array
    : T extends "float64"
      ? Float64Array
      : T extends "int64"
        ? BigInt64Array
        : T extends "int32"
          ? Int32Array
          : T extends "int8"
            ? Int8Array
            : Uint8Array;

export interface TensorValue<T extends DataType = DataType> {
  dtype: T;
  dims: readonly number[];
  data: DataArray<T>;
}

/** A dimension: a fixed size, a symbolic name ("N", "H"), or null for unknown. */
export type Dim = number | string | null;

export interface ValueInfoSpec {
  name: string;
  dtype: DataType;
  /** Omit for unknown rank. */
  shape?: readonly Dim[];
}

export type TypedAttr =
  | { kind: "int"; value: number }
  | { kind: "ints"; value: readonly number[] }
  | { kind: "float"; value: number }
  | { kind: "floats"; value: readonly number[] }
  | { kind: "string"; value: string }
  | { kind: "strings"; value: readonly string[] }
  | { kind: "tensor"; value: TensorValue };

/**
 * Plain numbers are ints when integral and floats otherwise; arrays likewise (floats if any
 * element is fractional). Use `attr.float(1)` / `attr.floats([1, 2])` for float attributes
 * whose values happen to be integral (e.g. LeakyRelu alpha 0, Resize scales).
 */
export type AttrValue = number | readonly number[] | string | readonly string[] | TypedAttr;

export const attr = {
  int: (value: number): TypedAttr => ({ kind: "int", value }),
  ints: (value: readonly number[]): TypedAttr => ({ kind: "ints", value }),
  float: (value: number): TypedAttr => ({ kind: "float", value }),
  floats: (value: readonly number[]): TypedAttr => ({ kind: "floats", value }),
  string: (value: string): TypedAttr => ({ kind: "string", value }),
  strings: (value: readonly string[]): TypedAttr => ({ kind: "strings", value }),
  tensor: (value: TensorValue): TypedAttr => ({ kind: "tensor", value }),
};

export interface NodeSpec {
  op: string;
  /** Use "" for an omitted optional input. */
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttrValue>;
}

export interface InitializerSpec extends TensorValue {
  name: string;
}

export interface GraphSpec {
  name: string;
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  nodes: readonly NodeSpec[];
  initializers: readonly InitializerSpec[];
  valueInfo?: readonly ValueInfoSpec[];
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface ModelOptions {
  /** Default [{ domain: "", version: 17 }]. */
  opsetImports?: readonly OpsetImport[];
  /** Default 8 (supported by onnxruntime >= 1.10). */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export interface ModelSpec extends ModelOptions {
  graph: GraphSpec;
}

export const DEFAULT_OPSET = 17;
export const DEFAULT_IR_VERSION = 8;

const DATA_TYPE_CODE: Record<DataType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

export function dataTypeCode(dtype: DataType): number {
  return DATA_TYPE_CODE[dtype];
}

// ---------------------------------------------------------------------------------------------
// Tensor constructors

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function checkLength(dims: readonly number[], length: number): void {
  const expected = product(dims);
  if (expected !== length) {
    throw new Error(`tensor dims [${dims.join(",")}] need ${expected} values, got ${length}`);
  }
}

export const tensor = {
  f32(dims: readonly number[], data: ArrayLike<number>): TensorValue<"float32"> {
    checkLength(dims, data.length);
    return { dtype: "float32", dims, data: Float32Array.from(data) };
  },
  /** Rounds float32 values to float16. */
  f16(dims: readonly number[], data: ArrayLike<number>): TensorValue<"float16"> {
    checkLength(dims, data.length);
    return { dtype: "float16", dims, data: float32ArrayToFloat16(data) };
  },
  /** float16 data given as raw bits. */
  f16Bits(dims: readonly number[], bits: Uint16Array): TensorValue<"float16"> {
    checkLength(dims, bits.length);
    return { dtype: "float16", dims, data: bits };
  },
  i64(dims: readonly number[], data: ArrayLike<number | bigint>): TensorValue<"int64"> {
    checkLength(dims, data.length);
    return { dtype: "int64", dims, data: BigInt64Array.from(Array.from(data, (v) => BigInt(v))) };
  },
  i32(dims: readonly number[], data: ArrayLike<number>): TensorValue<"int32"> {
    checkLength(dims, data.length);
    return { dtype: "int32", dims, data: Int32Array.from(data) };
  },
  /** A 1-D int64 tensor, the usual form of shape/axes/pads inputs. */
  shape(values: readonly number[]): TensorValue<"int64"> {
    return tensor.i64([values.length], values);
  },
  /** A scalar float32. */
  scalar(value: number): TensorValue<"float32"> {
    return { dtype: "float32", dims: [], data: Float32Array.of(value) };
  },
};

// ---------------------------------------------------------------------------------------------
// Encoding

function tensorProto(name: string, t: TensorValue): OnnxTypes.ITensorProto {
  checkLength(t.dims, t.data.length);
  const view = t.data;
  // raw_data is little-endian; every platform onnxruntime-node ships for is little-endian.
  const raw = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return { name, dims: [...t.dims], dataType: DATA_TYPE_CODE[t.dtype], rawData: raw };
}

function valueInfoProto(v: ValueInfoSpec): OnnxTypes.IValueInfoProto {
  const tensorType: OnnxTypes.TypeProto.ITensor = { elemType: DATA_TYPE_CODE[v.dtype] };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) =>
        typeof d === "number" ? { dimValue: d } : typeof d === "string" ? { dimParam: d } : {},
      ),
    };
  }
  return { name: v.name, type: { tensorType } };
}

function isTypedAttr(value: AttrValue): value is TypedAttr {
  return typeof value === "object" && value !== null && "kind" in value && !Array.isArray(value);
}

const encoder = new TextEncoder();
const A = onnx.AttributeProto.AttributeType;

function attributeProto(name: string, raw: AttrValue): OnnxTypes.IAttributeProto {
  let value: TypedAttr;
  if (isTypedAttr(raw)) value = raw;
  else if (typeof raw === "number") value = Number.isInteger(raw) ? attr.int(raw) : attr.float(raw);
  else if (typeof raw === "string") value = attr.string(raw);
  else if (raw.length > 0 && typeof raw[0] === "string") value = attr.strings(raw as string[]);
  else {
    const nums = raw as readonly number[];
    value = nums.every(Number.isInteger) ? attr.ints(nums) : attr.floats(nums);
  }
  switch (value.kind) {
    case "int":
      return { name, type: A.INT, i: value.value };
    case "ints":
      return { name, type: A.INTS, ints: [...value.value] };
    case "float":
      return { name, type: A.FLOAT, f: value.value };
    case "floats":
      return { name, type: A.FLOATS, floats: [...value.value] };
    case "string":
      return { name, type: A.STRING, s: encoder.encode(value.value) };
    case "strings":
      return { name, type: A.STRINGS, strings: value.value.map((s) => encoder.encode(s)) };
    case "tensor":
      return { name, type: A.TENSOR, t: tensorProto("", value.value) };
  }
}

/** Checks that every node input is defined before use and every graph output is produced. */
function checkGraph(graph: GraphSpec): void {
  const defined = new Set<string>([
    ...graph.inputs.map((v) => v.name),
    ...graph.initializers.map((t) => t.name),
  ]);
  for (const [index, node] of graph.nodes.entries()) {
    for (const input of node.inputs) {
      if (input !== "" && !defined.has(input)) {
        const label = node.name ?? `#${index}`;
        throw new Error(`node ${label} (${node.op}) uses undefined value "${input}"`);
      }
    }
    for (const output of node.outputs) {
      if (
        output !== "" &&
        defined.has(output) &&
        !graph.initializers.some((t) => t.name === output)
      ) {
        throw new Error(`value "${output}" is produced twice (node ${node.name ?? `#${index}`})`);
      }
      defined.add(output);
    }
  }
  for (const out of graph.outputs) {
    if (!defined.has(out.name)) throw new Error(`graph output "${out.name}" is never produced`);
  }
}

export function modelProto(spec: ModelSpec): OnnxTypes.ModelProto {
  const { graph } = spec;
  checkGraph(graph);
  return onnx.ModelProto.create({
    irVersion: spec.irVersion ?? DEFAULT_IR_VERSION,
    producerName: spec.producerName ?? "@studio/core",
    producerVersion: spec.producerVersion ?? "1",
    docString: spec.docString ?? "",
    opsetImport: (spec.opsetImports ?? [{ domain: "", version: DEFAULT_OPSET }]).map((o) => ({
      domain: o.domain,
      version: o.version,
    })),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfoProto),
      output: graph.outputs.map(valueInfoProto),
      valueInfo: (graph.valueInfo ?? []).map(valueInfoProto),
      initializer: graph.initializers.map((t) => tensorProto(t.name, t)),
      node: graph.nodes.map((n, index) => ({
        opType: n.op,
        domain: n.domain ?? "",
        name: n.name ?? `${n.op}_${index}`,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attributeProto(k, v)),
      })),
    },
  });
}

/** Serialises a model to ONNX protobuf bytes (loadable by onnxruntime-node's InferenceSession). */
export function encodeModel(spec: ModelSpec): Uint8Array {
  return onnx.ModelProto.encode(modelProto(spec)).finish();
}

// ---------------------------------------------------------------------------------------------
// Builder

export interface NodeOptions {
  name?: string;
  domain?: string;
  /** Output names; defaults to one fresh name derived from the op type. */
  outputs?: readonly string[];
}

/**
 * Incremental graph construction. Values are referred to by name (plain strings), so a
 * builder's output can be fed to any node:
 *
 *   const g = new GraphBuilder("sr");
 *   const x = g.input("x", "float32", [1, 3, "H", "W"]);
 *   const y = g.node("Conv", [x, g.constant(weights, "w")], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
 *   g.output(g.node("Sigmoid", [y]), "float32", [1, 8, "H", "W"]);
 *   const bytes = g.toModel();
 */
export class GraphBuilder {
  private readonly inputs: ValueInfoSpec[] = [];
  private readonly outputs: ValueInfoSpec[] = [];
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: InitializerSpec[] = [];
  private readonly valueInfos: ValueInfoSpec[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name = "graph") {}

  /** A fresh value name starting with `hint`. */
  uniqueName(hint: string): string {
    let candidate = hint;
    while (this.used.has(candidate)) candidate = `${hint}_${++this.counter}`;
    this.used.add(candidate);
    return candidate;
  }

  /** Whether a value or node name is already taken. */
  has(name: string): boolean {
    return this.used.has(name);
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`value name "${name}" is already used`);
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DataType, shape?: readonly Dim[]): string {
    this.inputs.push({ name: this.claim(name), dtype, shape });
    return name;
  }

  /** Declares an existing value as a graph output. */
  output(name: string, dtype: DataType, shape?: readonly Dim[]): string {
    this.outputs.push({ name, dtype, shape });
    return name;
  }

  /** Adds an initializer with exactly this name. */
  initializer(name: string, value: TensorValue): string {
    this.initializers.push({ name: this.claim(name), ...value });
    return name;
  }

  /** Adds an initializer under a fresh name derived from `hint`. */
  constant(value: TensorValue, hint = "const"): string {
    const name = this.uniqueName(hint);
    this.initializers.push({ name, ...value });
    return name;
  }

  /** Adds a node and returns its first output's name. */
  node(
    op: string,
    inputs: readonly string[],
    attributes?: Record<string, AttrValue>,
    options: NodeOptions = {},
  ): string {
    return this.nodeOutputs(op, inputs, attributes, options)[0] as string;
  }

  /** Adds a node with several outputs (`options.outputs`, or `count` fresh names). */
  nodeOutputs(
    op: string,
    inputs: readonly string[],
    attributes?: Record<string, AttrValue>,
    options: NodeOptions & { count?: number } = {},
  ): string[] {
    const outputs = options.outputs
      ? options.outputs.map((o) => this.claim(o))
      : Array.from({ length: options.count ?? 1 }, () => this.uniqueName(op.toLowerCase()));
    this.nodes.push({
      op,
      inputs,
      outputs,
      name: options.name ?? this.uniqueName(`${op}_node`),
      domain: options.domain,
      attributes,
    });
    return outputs;
  }

  /** Optional type/shape annotation for an intermediate value. */
  valueInfo(name: string, dtype: DataType, shape?: readonly Dim[]): void {
    this.valueInfos.push({ name, dtype, shape });
  }

  toGraph(): GraphSpec {
    return {
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      nodes: [...this.nodes],
      initializers: [...this.initializers],
      valueInfo: [...this.valueInfos],
    };
  }

  toModel(options: ModelOptions = {}): Uint8Array {
    return encodeModel({ ...options, graph: this.toGraph() });
  }
}
