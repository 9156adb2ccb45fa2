import type { DecodeOptions } from "../image/decode";
import type { Device } from "../runtime/providers";
import { emptyTimings, type Timings, timed } from "../runtime/timings";
import {
  ClassificationParams,
  type ClassificationSpec,
  type ClassificationParams as ClsParams,
  type Region,
} from "../spec/index";
import { fillTensorRegion, inputAffine, modelChannels, resizeBilinear } from "../tensor/index";
import { classScores } from "./activation";
import { cropImage } from "./alpha";
import { checkRegion, type ImageInput, loadInput, runSignature } from "./common";
import type { PreparedModel } from "./model";

export interface ClassificationRequest {
  model: PreparedModel<ClassificationSpec>;
  input: ImageInput;
  params?: unknown;
  /** Classify only this crop of the input (previews). */
  region?: Region;
  decode?: DecodeOptions;
  signal?: AbortSignal;
}

export interface ClassScore {
  index: number;
  label: string;
  score: number;
}

export interface ClassificationResult {
  top: ClassScore[];
  /** Every class's score (probabilities, or logits when applyActivation is false). */
  scores: number[];
  scoreKind: "softmax" | "sigmoid" | "logits";
  params: ClsParams;
  signature: string;
  device: Device;
  timings: Timings;
}

export async function runClassification(req: ClassificationRequest): Promise<ClassificationResult> {
  const started = performance.now();
  const timings = emptyTimings();
  const { spec, runner } = req.model;
  const params = ClassificationParams.parse(req.params ?? {});
  const signature = runSignature("classification", params, req.model);
  const loaded = await loadInput(req.input, req.decode, timings);
  const img = req.region ? cropImage(loaded, checkRegion(req.region, loaded)) : loaded;
  req.signal?.throwIfAborted();
  const mc = modelChannels(spec.colorOrder);
  const { input, dims } = await timed(timings, "preMs", () => {
    const affine = inputAffine(spec.normalization, spec.colorOrder, img.depth);
    if (spec.size.mode === "fixed") {
      const src = new Float32Array(mc * img.width * img.height);
      fillTensorRegion(
        img,
        { x: 0, y: 0, width: img.width, height: img.height },
        spec.colorOrder,
        affine,
        src,
      );
      const { width, height } = spec.size;
      const data =
        width === img.width && height === img.height
          ? src
          : resizeBilinear(src, mc, img.width, img.height, width, height);
      return { input: data, dims: [1, mc, height, width] };
    }
    // Dynamic models get the image at its size, reflect-padded up to the size rules.
    const m = spec.size.multipleOf;
    const w = Math.ceil(Math.max(img.width, spec.size.minSize) / m) * m;
    const h = Math.ceil(Math.max(img.height, spec.size.minSize) / m) * m;
    const data = new Float32Array(mc * w * h);
    fillTensorRegion(img, { x: 0, y: 0, width: w, height: h }, spec.colorOrder, affine, data);
    return { input: data, dims: [1, mc, h, w] };
  });
  const out = await timed(timings, "runMs", () => runner.run(input, dims));
  const result = await timed(timings, "postMs", () => {
    const applied = params.applyActivation && spec.activation !== "none" ? spec.activation : null;
    const scores = classScores(out.data, applied ?? "logits");
    // Scores used as the model gives them are probabilities when they form a distribution: a
    // graph that ends in Softmax (the official text-direction classifier) has activation "none".
    const kind: ClassificationResult["scoreKind"] =
      applied ?? (isDistribution(scores) ? "softmax" : "logits");
    const order = Array.from(scores.keys()).sort(
      (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
    );
    const top = order.slice(0, params.topK).map((index) => ({
      index,
      label: spec.labels[index] ?? `class_${index}`,
      score: scores[index] as number,
    }));
    return { top, scores: Array.from(scores), scoreKind: kind };
  });
  timings.totalMs = performance.now() - started;
  return { ...result, params, signature, device: runner.device, timings };
}

/** Every score in 0..1 and together 1 (within float rounding): a softmax's output. */
function isDistribution(scores: Float64Array): boolean {
  let sum = 0;
  for (const score of scores) {
    if (!(score >= 0 && score <= 1)) return false;
    sum += score;
  }
  return scores.length > 1 && Math.abs(sum - 1) < 1e-4;
}
