import { type OnnxTypes, onnx } from "../onnx/proto";

// Variants of a graph whose squeeze-and-excitation blocks take global averages
// (GlobalAveragePool) over the whole feature map (Real-CUGAN, waifu2x CUNet). A tile averages
// only over itself, so a tiled run needs the whole image's averages fed from outside
// (squeeze-sync.ts measures them tile by tile). Built from the stored ONNX file itself, so any
// weight with such pooling can use them and the weight's checksum stays that of the file.
//
// - stage k: `input` plus the averages 0..k-1 as inputs `squeeze_0..` -> `squeeze_features`,
//   the feature map the k-th average is taken over. The graph ends there (onnxruntime runs
//   every node of a graph whatever the requested outputs, so the rest is cut off).
// - final: the whole net with every average an input.

/** Output of a stage graph: the feature map the stage's average is taken over. */
export const SQUEEZE_FEATURES = "squeeze_features";

/** Input name of the k-th global average in the variants. */
export const squeezeInputName = (k: number) => `squeeze_${k}`;

function isGlobalAverage(node: OnnxTypes.INodeProto): boolean {
  return node.opType === "GlobalAveragePool" && (node.domain ?? "") === "";
}

function decodeGraph(bytes: Uint8Array): {
  model: OnnxTypes.ModelProto;
  graph: OnnxTypes.IGraphProto;
} {
  const model = onnx.ModelProto.decode(bytes);
  if (!model.graph) throw new Error("the ONNX file has no graph");
  return { model, graph: model.graph };
}

/** Global averages in the main graph, in the order they are computed. */
export function countGlobalAverages(bytes: Uint8Array): number {
  return (decodeGraph(bytes).graph.node ?? []).filter(isGlobalAverage).length;
}

/** Stage `k` (0-based) of the averages, or the final net ("final"). */
export function squeezeVariant(bytes: Uint8Array, which: number | "final"): Uint8Array {
  const { model, graph } = decodeGraph(bytes);
  const nodes = graph.node ?? [];
  const pools = nodes.filter(isGlobalAverage);
  const fixed = which === "final" ? pools.length : which;
  if (which !== "final" && (which < 0 || which >= pools.length)) {
    throw new RangeError(`stage ${which} of ${pools.length} global averages`);
  }
  // The first `fixed` averages become graph inputs: their consumers read the inputs instead.
  const renamed = new Map<string, string>();
  const dropped = new Set<OnnxTypes.INodeProto>();
  pools.slice(0, fixed).forEach((pool, k) => {
    renamed.set(pool.output?.[0] as string, squeezeInputName(k));
    dropped.add(pool);
  });
  let kept = nodes.filter((n) => !dropped.has(n));
  for (const node of kept) node.input = (node.input ?? []).map((i) => renamed.get(i) ?? i);
  for (const output of graph.output ?? []) {
    if (renamed.has(output.name ?? "")) {
      throw new Error(`graph output "${output.name}" is a global average`);
    }
  }
  const squeezeInputs = pools
    .slice(0, fixed)
    .map((_, k) => floatValueInfo(squeezeInputName(k), [1, `squeeze_${k}_channels`, 1, 1]));
  graph.input = [...(graph.input ?? []), ...squeezeInputs];

  if (which !== "final") {
    const pool = pools[which] as OnnxTypes.INodeProto;
    kept.push({
      opType: "Identity",
      input: [pool.input?.[0] as string],
      output: [SQUEEZE_FEATURES],
      name: SQUEEZE_FEATURES,
    });
    graph.output = [
      floatValueInfo(SQUEEZE_FEATURES, [1, "channels", "feature_height", "feature_width"]),
    ];
  }
  // Keep only what the outputs need (nodes are topologically sorted: walk them backwards).
  const needed = new Set((graph.output ?? []).map((o) => o.name as string));
  const live: OnnxTypes.INodeProto[] = [];
  for (let i = kept.length - 1; i >= 0; i--) {
    const node = kept[i] as OnnxTypes.INodeProto;
    if (!(node.output ?? []).some((o) => needed.has(o))) continue;
    live.push(node);
    for (const input of node.input ?? []) if (input) needed.add(input);
  }
  kept = live.reverse();
  graph.node = kept;
  graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ""));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? ""));
  // Original inputs stay (the image); squeeze inputs stay even if a stage does not read one, so
  // that every stage is fed alike.
  return onnx.ModelProto.encode(model).finish();
}

/** A float tensor input or output; a string dimension is symbolic (dynamic). */
function floatValueInfo(name: string, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}
