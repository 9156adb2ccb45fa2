import type { GraphBuilder } from "../onnx/write";
import type { NcnnLayer } from "./param";

// What a layer emitter needs from the conversion in progress: the graph, the blobs it reads
// and writes, and the .bin reader (weights are stored in .param order, so emitters must read
// exactly what ncnn's load_model reads, in the same order).

/**
 * An NCNN blob as an ONNX value. NCNN blobs have no batch axis; a 3-D blob [c, h, w] is ONNX
 * [1, c, h, w] and a 1-D blob [w] (global pooling, InnerProduct) is kept as [1, w, 1, 1] so
 * that it broadcasts over channels like ncnn's BinaryOp does when w equals the channel count.
 */
export interface Blob {
  value: string;
  channels: number | null;
  /** NCNN dims: 3 for images and feature maps, 1 for vectors. */
  rank: 1 | 3;
}

export class NcnnUnsupportedError extends Error {
  override name = "NcnnUnsupportedError";
}

export function label(layer: NcnnLayer): string {
  return `layer "${layer.name}" (type ${layer.type}, .param line ${layer.line})`;
}

export function unsupported(layer: NcnnLayer, what: string): never {
  throw new NcnnUnsupportedError(`${label(layer)}: ${what}`);
}

export interface LayerContext {
  g: GraphBuilder;
  /** The layer's input blobs, in order (marks them consumed). */
  bottoms(layer: NcnnLayer): Blob[];
  /** Records output blob `index` of the layer. */
  set(layer: NcnnLayer, index: number, blob: Blob): void;
  expectCounts(layer: NcnnLayer, bottoms: number | "any", tops: number): void;
  /** A tagged weight blob (float16 / float32 / quantized), decoded to float32. */
  readTagged(count: number, what: string): Float32Array;
  /** Plain float32 values (biases, scales). */
  readRaw(count: number, what: string): Float32Array;
  /** NCNN's fused activation (params 9 and 10) applied to `x`. */
  activation(layer: NcnnLayer, x: string): string;
  /** See NcnnConvertOptions.squeeze; registers the k-th global average of the net. */
  squeeze?: {
    mode: "inputs" | "outputs";
    /** Returns the name of the k-th squeeze value (a graph input or output). */
    next(): string;
    /** Graph outputs to declare after the net's own: [name, value, channels]. */
    outputs: [string, string, number | null][];
  };
}
