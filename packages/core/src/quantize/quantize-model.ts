// FP32 ONNX bytes -> INT8 ONNX bytes: read, rewrite in float, calibrate, quantise, write.
import type { ModelSpec } from "../spec/index";
import { type CalibrationInput, calibrate } from "./calibrate";
import { loadCalibrationImages, modelInput } from "./calibration-images";
import { type QGraph, QuantizeUnsupportedError, readGraph, writeGraph } from "./graph";
import { quantizeGraph, unhandledOps } from "./quantize-graph";
import {
  equalizableValues,
  equalizeChannels,
  foldScalarMuls,
  negateSteepSlopes,
  pruneInitializers,
} from "./transform";

export interface QuantizedModel {
  bytes: Uint8Array;
  quantizedConvs: number;
  totalConvs: number;
  integerActivations: number;
  /** The calibration inputs, prepared for the spec (the gate measures quality on them). */
  inputs: CalibrationInput[];
}

/** Reads the graph and says what in it the quantiser cannot take (thrown, in the user's terms). */
export function checkQuantizable(fp32: Uint8Array, spec: ModelSpec): QGraph {
  if (spec.kind === "super_resolution" && spec.globalPooling === "whole-image") {
    throw new QuantizeUnsupportedError(
      "INT8 does not handle nets that average over the whole image (squeeze-and-excitation, as in Real-CUGAN and waifu2x CUNet).",
      ["GlobalAveragePool"],
    );
  }
  const g = readGraph(fp32);
  const bad = unhandledOps(g);
  if (bad.length > 0) {
    throw new QuantizeUnsupportedError(
      `INT8 does not handle the operator${bad.length > 1 ? "s" : ""} ${bad.join(", ")} of this model (it handles convolutional nets: ${["Conv", "PRelu", "LeakyRelu", "Relu", "Add", "Concat", "DepthToSpace", "Resize", "MaxPool", "..."].join(", ")}).`,
      bad,
    );
  }
  if (g.inputs.length !== 1) {
    throw new QuantizeUnsupportedError(
      `INT8 needs a model with one input; this one has ${g.inputs.length}.`,
    );
  }
  if (!g.nodes.some((n) => n.op === "Conv")) {
    throw new QuantizeUnsupportedError("INT8 has nothing to quantise: the model has no Conv.");
  }
  return g;
}

/**
 * Quantises a conv net: float rewrites (scalar Mul folded into convs, PReLU slopes above 1
 * negated, channels equalised on measured ranges), then calibration on the product's images
 * and the INT8 graph. Throws QuantizeUnsupportedError for graphs it cannot take.
 */
export async function quantizeModel(input: {
  fp32: Uint8Array;
  spec: ModelSpec;
  threads: number;
  /** 7-bit weights for CPUs without VNNI (see QuantizeOptions). */
  reduceRange: boolean;
}): Promise<QuantizedModel> {
  const g = checkQuantizable(input.fp32, input.spec);
  const images = await loadCalibrationImages();
  const inputs = images.map((img) => modelInput(img, input.spec));
  foldScalarMuls(g);
  negateSteepSlopes(g);
  pruneInitializers(g);
  // One calibration run: the equalised values' new ranges follow from their channel tails.
  const { ranges, channels } = await calibrate(g, inputs, input.threads, equalizableValues(g));
  equalizeChannels(g, channels, ranges);
  const q = quantizeGraph(g, ranges, { reduceRange: input.reduceRange });
  return {
    bytes: writeGraph(q.graph, [], { "studio.precision": "int8" }),
    quantizedConvs: q.quantizedConvs,
    totalConvs: q.totalConvs,
    integerActivations: q.integerActivations,
    inputs,
  };
}
