import { readFile } from "node:fs/promises";
import { type OnnxTypes, onnx, toNumber } from "./proto";

/** A dimension as declared in the graph: fixed size, symbolic name, or null when unknown. */
export type DeclaredDim = number | string | null;

export interface ValueInfo {
  name: string;
  /** "float32", "int64", ... for tensors; "sequence" / "map" / "optional" / "unknown" otherwise. */
  dtype: string;
  /** null when the rank is unknown. */
  shape: DeclaredDim[] | null;
}

export interface ExternalDataRef {
  tensor: string;
  location: string;
  offset?: number;
  length?: number;
}

export interface OnnxInspection {
  sizeBytes: number;
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImports: { domain: string; version: number }[];
  /** The default-domain opset ("" or "ai.onnx"), or null when the model imports none. */
  opset: number | null;
  /** Graph inputs that are not initializers (what a caller must feed). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializerCount: number;
  /**
   * Scalar values stored in initializers (dense and sparse) plus Constant-node tensors (some
   * exporters, e.g. paddle2onnx, store every weight as a Constant node).
   */
  parameterCount: number;
  /** Constant nodes carrying a tensor value. */
  constantCount: number;
  nodeCount: number;
  /** op type -> count, across the main graph and subgraphs; custom ops as "domain::Op". */
  opTypes: Record<string, number>;
  /** Node or opset domains outside the standard ONNX ones, sorted. */
  customDomains: string[];
  externalData: ExternalDataRef[];
  metadata: Record<string, string>;
}

export type OnnxInspectErrorCode =
  | "empty"
  | "not_onnx"
  | "truncated"
  | "no_graph"
  | "external_data"
  | "custom_domain"
  | "no_inputs"
  | "no_outputs";

export class OnnxInspectError extends Error {
  constructor(
    readonly code: OnnxInspectErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "OnnxInspectError";
  }
}

/** Domains onnxruntime implements as the ONNX standard operator sets. */
export const STANDARD_DOMAINS: readonly string[] = ["", "ai.onnx", "ai.onnx.ml"];

const DTYPE_NAMES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
  17: "float8e4m3fn",
  18: "float8e4m3fnuz",
  19: "float8e5m2",
  20: "float8e5m2fnuz",
  21: "uint4",
  22: "int4",
};

export function dtypeName(code: number): string {
  return DTYPE_NAMES[code] ?? `unknown(${code})`;
}

/** Recognises files people mistake for ONNX, to say what the bytes are instead. */
function sniffOtherFormat(bytes: Uint8Array): string | null {
  const ascii = (n: number) => String.fromCharCode(...bytes.subarray(0, n));
  if (bytes[0] === 0x89 && ascii(4).slice(1) === "PNG") return "a PNG image";
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "a JPEG image";
  if (ascii(4) === "PK\u0003\u0004")
    return "a ZIP archive (PyTorch .pt/.pth checkpoints are ZIP files)";
  if (bytes[0] === 0x80 && bytes.length > 1 && (bytes[1] as number) <= 5) return "a Python pickle";
  if (ascii(7) === "7767517") return "an NCNN .param file";
  if (bytes.length > 9 && bytes[8] === 0x7b && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) {
    return "a safetensors file";
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return "a gzip file";
  return null;
}

/** Decodes ONNX protobuf bytes, with errors that say what is wrong with the file. */
export function decodeModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  if (bytes.byteLength === 0) throw new OnnxInspectError("empty", "the file is empty");
  const other = sniffOtherFormat(bytes);
  if (other) throw new OnnxInspectError("not_onnx", `not an ONNX model: the file is ${other}`);
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/index out of range/.test(message)) {
      throw new OnnxInspectError(
        "truncated",
        `not a complete ONNX model: the protobuf data ends early (${bytes.byteLength} bytes; truncated or not ONNX)`,
      );
    }
    throw new OnnxInspectError(
      "not_onnx",
      `not an ONNX model: protobuf decoding failed (${message})`,
    );
  }
  if (!model.graph) {
    throw new OnnxInspectError("no_graph", "not an ONNX model: it has no graph");
  }
  if (toNumber(model.irVersion) <= 0 || model.opsetImport.length === 0) {
    throw new OnnxInspectError(
      "not_onnx",
      "not an ONNX model: no IR version or opset import (the bytes decode as protobuf but are not a model)",
    );
  }
  return model;
}

function valueInfo(v: OnnxTypes.IValueInfoProto): ValueInfo {
  const name = v.name ?? "";
  const type = v.type;
  if (!type) return { name, dtype: "unknown", shape: null };
  if (type.tensorType) {
    const shape = type.tensorType.shape
      ? (type.tensorType.shape.dim ?? []).map((d): DeclaredDim => {
          if (d.dimParam) return d.dimParam;
          if (d.dimValue !== undefined && d.dimValue !== null) {
            const value = toNumber(d.dimValue);
            return value > 0 ? value : null;
          }
          return null;
        })
      : null;
    return { name, dtype: dtypeName(type.tensorType.elemType ?? 0), shape };
  }
  if (type.sequenceType) return { name, dtype: "sequence", shape: null };
  if (type.mapType) return { name, dtype: "map", shape: null };
  return { name, dtype: "unknown", shape: null };
}

function elementCount(dims: readonly unknown[] | null | undefined): number {
  return (dims ?? []).reduce<number>((n, d) => n * toNumber(d), 1);
}

function externalRef(t: OnnxTypes.ITensorProto): ExternalDataRef | null {
  if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return null;
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
  const ref: ExternalDataRef = { tensor: t.name ?? "", location: entries.get("location") ?? "" };
  if (entries.has("offset")) ref.offset = Number(entries.get("offset"));
  if (entries.has("length")) ref.length = Number(entries.get("length"));
  return ref;
}

/** Reads structure, sizes and risks of an ONNX model without running it. */
export function inspectOnnx(bytes: Uint8Array): OnnxInspection {
  const model = decodeModel(bytes);
  const graph = model.graph as OnnxTypes.IGraphProto;
  const opTypes: Record<string, number> = {};
  const domains = new Set<string>();
  const externalData: ExternalDataRef[] = [];
  const localFunctions = new Set(
    (model.functions ?? []).map((f) => `${f.domain ?? ""}::${f.name ?? ""}`),
  );
  let nodeCount = 0;
  let constantCount = 0;
  let constantValues = 0;

  const visitTensor = (t: OnnxTypes.ITensorProto | null | undefined) => {
    if (!t) return;
    const ref = externalRef(t);
    if (ref) externalData.push(ref);
  };
  const visitGraph = (g: OnnxTypes.IGraphProto) => {
    for (const t of g.initializer ?? []) visitTensor(t);
    for (const s of g.sparseInitializer ?? []) {
      visitTensor(s.values);
      visitTensor(s.indices);
    }
    for (const node of g.node ?? []) {
      nodeCount += 1;
      const domain = node.domain ?? "";
      const isLocal = localFunctions.has(`${domain}::${node.opType ?? ""}`);
      if (!STANDARD_DOMAINS.includes(domain) && !isLocal) domains.add(domain);
      const key = STANDARD_DOMAINS.includes(domain)
        ? (node.opType ?? "")
        : `${domain}::${node.opType}`;
      opTypes[key] = (opTypes[key] ?? 0) + 1;
      for (const a of node.attribute ?? []) {
        if (
          node.opType === "Constant" &&
          STANDARD_DOMAINS.includes(domain) &&
          a.name === "value" &&
          a.t
        ) {
          constantCount += 1;
          constantValues += elementCount(a.t.dims);
        }
        visitTensor(a.t);
        for (const t of a.tensors ?? []) visitTensor(t);
        if (a.g) visitGraph(a.g);
        for (const sub of a.graphs ?? []) visitGraph(sub);
      }
    }
  };
  visitGraph(graph);
  for (const f of model.functions ?? []) {
    for (const node of f.node ?? []) {
      const domain = node.domain ?? "";
      if (!STANDARD_DOMAINS.includes(domain) && !localFunctions.has(`${domain}::${node.opType}`)) {
        domains.add(domain);
      }
    }
  }
  const functionDomains = new Set((model.functions ?? []).map((f) => f.domain ?? ""));
  for (const o of model.opsetImport) {
    const domain = o.domain ?? "";
    if (!STANDARD_DOMAINS.includes(domain) && !functionDomains.has(domain)) domains.add(domain);
  }

  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  const parameterCount =
    (graph.initializer ?? []).reduce((n, t) => n + elementCount(t.dims), 0) +
    (graph.sparseInitializer ?? []).reduce((n, s) => n + elementCount(s.values?.dims), 0) +
    constantValues;
  const opsetImports = model.opsetImport.map((o) => ({
    domain: o.domain ?? "",
    version: toNumber(o.version),
  }));
  const defaultOpset = opsetImports.find((o) => o.domain === "" || o.domain === "ai.onnx");

  return {
    sizeBytes: bytes.byteLength,
    irVersion: toNumber(model.irVersion),
    producerName: model.producerName ?? "",
    producerVersion: model.producerVersion ?? "",
    opsetImports,
    opset: defaultOpset ? defaultOpset.version : null,
    inputs: (graph.input ?? []).filter((v) => !initializerNames.has(v.name ?? "")).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
    initializerCount: (graph.initializer ?? []).length + (graph.sparseInitializer ?? []).length,
    parameterCount,
    constantCount,
    nodeCount,
    opTypes,
    customDomains: [...domains].sort(),
    externalData,
    metadata: Object.fromEntries(
      (model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]),
    ),
  };
}

export async function inspectOnnxFile(path: string): Promise<OnnxInspection> {
  return inspectOnnx(await readFile(path));
}

export interface RunnableOptions {
  /** Extra non-standard domains to accept (e.g. "com.microsoft" for onnxruntime contrib ops). */
  allowDomains?: readonly string[];
}

/**
 * Throws OnnxInspectError when a model cannot be used as a self-contained weight file:
 * external data (weights in a side file we do not store), custom op domains (need a plugin
 * library), or no inputs/outputs.
 */
export function assertRunnable(info: OnnxInspection, options: RunnableOptions = {}): void {
  if (info.externalData.length > 0) {
    const files = [...new Set(info.externalData.map((r) => r.location))].join(", ");
    const names = info.externalData
      .slice(0, 3)
      .map((r) => r.tensor)
      .join(", ");
    const more = info.externalData.length > 3 ? ` and ${info.externalData.length - 3} more` : "";
    throw new OnnxInspectError(
      "external_data",
      `the model stores ${info.externalData.length} tensor(s) in external data files (${files}): ${names}${more}; upload a single self-contained .onnx (save with all tensors embedded)`,
    );
  }
  const custom = info.customDomains.filter((d) => !(options.allowDomains ?? []).includes(d));
  if (custom.length > 0) {
    const ops = Object.keys(info.opTypes).filter((k) => custom.some((d) => k.startsWith(`${d}::`)));
    throw new OnnxInspectError(
      "custom_domain",
      `the model uses custom operator domain(s) ${custom.map((d) => `"${d}"`).join(", ")}${ops.length ? ` (ops: ${ops.join(", ")})` : ""}; only standard ONNX operators (domains "", "ai.onnx", "ai.onnx.ml") are supported`,
    );
  }
  if (info.inputs.length === 0) throw new OnnxInspectError("no_inputs", "the model has no inputs");
  if (info.outputs.length === 0)
    throw new OnnxInspectError("no_outputs", "the model has no outputs");
}
