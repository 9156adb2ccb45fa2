// A small editable form of an ONNX graph for the quantiser: nodes with plain attributes and
// initializers as typed arrays, written back with the project's own writer (onnx/write.ts).
import { float16ArrayToFloat32 } from "../onnx/float16";
import { decodeModel, dtypeName } from "../onnx/inspect";
import { type OnnxTypes, toNumber } from "../onnx/proto";
import {
  type AttrValue,
  attr,
  type DataType,
  type Dim,
  encodeModel,
  type GraphSpec,
  type OpsetImport,
  type TensorValue,
  type ValueInfoSpec,
} from "../onnx/write";

export interface QNode {
  op: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface QGraph {
  name: string;
  inputs: ValueInfoSpec[];
  outputs: ValueInfoSpec[];
  nodes: QNode[];
  inits: Map<string, TensorValue>;
  opsets: OpsetImport[];
}

/** Why a graph cannot be read or quantised, in the user's terms. */
export class QuantizeUnsupportedError extends Error {
  constructor(
    message: string,
    readonly ops: string[] = [],
  ) {
    super(message);
    this.name = "QuantizeUnsupportedError";
  }
}

const DATA_TYPES: readonly DataType[] = [
  "float32",
  "float16",
  "float64",
  "int64",
  "int32",
  "int8",
  "uint8",
  "bool",
];

function asDataType(code: number): DataType {
  const name = dtypeName(code);
  if (!(DATA_TYPES as readonly string[]).includes(name)) {
    throw new QuantizeUnsupportedError(`tensors of type ${name} are not supported`);
  }
  return name as DataType;
}

/** The bytes of a raw_data field, copied so that typed arrays over them are aligned. */
function copyBytes(raw: Uint8Array): ArrayBuffer {
  return new Uint8Array(raw).buffer;
}

/** An initializer as a typed array; float16 becomes float32 (the quantiser computes in float). */
export function tensorValue(t: OnnxTypes.ITensorProto): TensorValue {
  if (t.dataLocation === 1) {
    throw new QuantizeUnsupportedError("weights stored in external data files are not supported");
  }
  const dtype = asDataType(t.dataType ?? 0);
  const dims = (t.dims ?? []).map(toNumber);
  const raw = t.rawData && t.rawData.length > 0 ? copyBytes(t.rawData) : null;
  switch (dtype) {
    case "float32":
      return {
        dtype,
        dims,
        data: raw ? new Float32Array(raw) : Float32Array.from(t.floatData ?? []),
      };
    case "float16": {
      const bits = raw ? new Uint16Array(raw) : Uint16Array.from(t.int32Data ?? []);
      return { dtype: "float32", dims, data: float16ArrayToFloat32(bits) };
    }
    case "float64":
      return {
        dtype,
        dims,
        data: raw ? new Float64Array(raw) : Float64Array.from(t.doubleData ?? []),
      };
    case "int64":
      return {
        dtype,
        dims,
        data: raw
          ? new BigInt64Array(raw)
          : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(toNumber(v)))),
      };
    case "int32":
      return { dtype, dims, data: raw ? new Int32Array(raw) : Int32Array.from(t.int32Data ?? []) };
    case "int8":
      return { dtype, dims, data: raw ? new Int8Array(raw) : Int8Array.from(t.int32Data ?? []) };
    default:
      return { dtype, dims, data: raw ? new Uint8Array(raw) : Uint8Array.from(t.int32Data ?? []) };
  }
}

const decoder = new TextDecoder();

function attrValue(a: OnnxTypes.IAttributeProto, op: string): AttrValue {
  switch (a.type) {
    case 1:
      return attr.float(a.f ?? 0);
    case 2:
      return attr.int(toNumber(a.i));
    case 3:
      return attr.string(decoder.decode(a.s ?? new Uint8Array()));
    case 4:
      return attr.tensor(tensorValue(a.t ?? {}));
    case 6:
      return attr.floats(a.floats ?? []);
    case 7:
      return attr.ints((a.ints ?? []).map(toNumber));
    case 8:
      return attr.strings((a.strings ?? []).map((s) => decoder.decode(s)));
    default:
      throw new QuantizeUnsupportedError(
        `operator ${op} has a subgraph or an attribute of an unsupported kind`,
        [op],
      );
  }
}

function valueInfo(v: OnnxTypes.IValueInfoProto): ValueInfoSpec {
  const t = v.type?.tensorType;
  if (!t) throw new QuantizeUnsupportedError(`graph value "${v.name}" is not a tensor`);
  const dtype = asDataType(t.elemType ?? 0);
  if (!t.shape) return { name: v.name ?? "", dtype };
  const shape: Dim[] = (t.shape.dim ?? []).map((d) =>
    d.dimParam
      ? d.dimParam
      : d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0
        ? toNumber(d.dimValue)
        : null,
  );
  return { name: v.name ?? "", dtype, shape };
}

/** Reads ONNX bytes into a QGraph; Constant nodes become initializers. */
export function readGraph(bytes: Uint8Array): QGraph {
  const model = decodeModel(bytes);
  const g = model.graph as OnnxTypes.IGraphProto;
  const inits = new Map<string, TensorValue>();
  for (const t of g.initializer ?? []) inits.set(t.name ?? "", tensorValue(t));
  const nodes: QNode[] = [];
  for (const [index, n] of (g.node ?? []).entries()) {
    const op = n.opType ?? "";
    const domain = n.domain === "ai.onnx" ? "" : (n.domain ?? "");
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ""] = attrValue(a, op);
    const value = attrs.value;
    if (op === "Constant" && domain === "" && typeof value === "object" && "kind" in value) {
      if (value.kind === "tensor") {
        inits.set(n.output?.[0] ?? "", value.value);
        continue;
      }
    }
    nodes.push({
      op,
      domain,
      name: n.name || `${op}_${index}`,
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs,
    });
  }
  const initNames = new Set(inits.keys());
  return {
    name: g.name || "graph",
    inputs: (g.input ?? []).filter((v) => !initNames.has(v.name ?? "")).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
    nodes,
    inits,
    opsets: model.opsetImport.map((o) => ({
      domain: o.domain === "ai.onnx" ? "" : (o.domain ?? ""),
      version: toNumber(o.version),
    })),
  };
}

export function graphSpec(g: QGraph, extraOutputs: readonly ValueInfoSpec[] = []): GraphSpec {
  return {
    name: g.name,
    inputs: g.inputs,
    outputs: [...g.outputs, ...extraOutputs],
    nodes: g.nodes.map((n) => ({
      op: n.op,
      domain: n.domain,
      name: n.name,
      inputs: n.inputs,
      outputs: n.outputs,
      attributes: n.attrs,
    })),
    initializers: [...g.inits].map(([name, t]) => ({ name, ...t })),
  };
}

/** Encodes a QGraph; `extraOutputs` exposes intermediate values (calibration). */
export function writeGraph(
  g: QGraph,
  extraOutputs: readonly ValueInfoSpec[] = [],
  metadata: Record<string, string> = {},
): Uint8Array {
  const opsets = g.opsets.some((o) => o.domain === "") ? g.opsets : [{ domain: "", version: 17 }];
  return encodeModel({ graph: graphSpec(g, extraOutputs), opsetImports: opsets, metadata });
}

/** value name -> the nodes that read it. */
export function consumers(g: QGraph): Map<string, QNode[]> {
  const map = new Map<string, QNode[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      if (i === "") continue;
      const list = map.get(i) ?? [];
      list.push(n);
      map.set(i, list);
    }
  }
  return map;
}

/** value name -> the node that writes it. */
export function producers(g: QGraph): Map<string, QNode> {
  const map = new Map<string, QNode>();
  for (const n of g.nodes) for (const o of n.outputs) map.set(o, n);
  return map;
}

export function floatInit(g: QGraph, name: string | undefined): Float32Array | null {
  if (name === undefined || name === "") return null;
  const t = g.inits.get(name);
  return t && t.dtype === "float32" ? (t.data as Float32Array) : null;
}

export function intAttr(n: QNode, key: string, fallback: number): number {
  const v = n.attrs[key];
  if (typeof v === "number") return v;
  if (
    typeof v === "object" &&
    v !== null &&
    "kind" in v &&
    (v.kind === "int" || v.kind === "float")
  ) {
    return v.value;
  }
  return fallback;
}
