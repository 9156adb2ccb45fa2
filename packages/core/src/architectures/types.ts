import type { ModelSpec, TaskKind } from "../spec";

/** One entry of a PyTorch state_dict the architecture expects. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** False for bookkeeping buffers the graph does not use (BatchNorm's num_batches_tracked). */
  required: boolean;
  /**
   * False for a required key that holds no weights but marks a variant (SPAN's `no_norm`): it
   * must be there, and it is not counted as a parameter.
   */
  counted?: false;
}

/** Float32 values by state_dict key, already checked against `parameters`. */
export type Weights = ReadonlyMap<string, Float32Array>;

/** What an architecture is, without the graph builder (the API lists and checks these). */
export interface ArchitectureInfo {
  /** Stable id stored with imported weights, e.g. "octa-unet". */
  id: string;
  name: string;
  family: "unet" | "srvgg" | "rrdb" | "span" | "swinir";
  taskKind: TaskKind;
  /** What the network is and how to reproduce it in PyTorch (shown in the UI). */
  doc: string;
  parameters: ParamSpec[];
  input: { name: string; shape: (number | string)[] };
  output: { name: string; shape: (number | string)[] };
  defaultSpec: ModelSpec;
}

export interface Architecture extends ArchitectureInfo {
  /** Builds the ONNX graph (opset 17, float32) with these weights as initializers. */
  build(weights: Weights): Uint8Array;
}
