// What a weight must satisfy to be registered for a task kind: checks on the declared graph
// I/O (before anything runs) and on the output of one reference run.

import type { RejectionCode } from "@studio/contracts/inference/validate";
import type { OnnxInspection, ValueInfo } from "@studio/core/onnx";
import { ModelSpec, type ModelSpecInput, type TaskKind } from "@studio/core/spec";

export class Rejection extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
    this.name = "Rejection";
  }
}

const fmt = (shape: ValueInfo["shape"]) =>
  shape ? `[${shape.map((d) => d ?? "?").join(", ")}]` : "unknown rank";

function pick(list: ValueInfo[], name: string | undefined, what: string): ValueInfo {
  const found = name ? list.find((v) => v.name === name) : list[0];
  if (!found) {
    const names = list.map((v) => `"${v.name}"`).join(", ");
    throw new Rejection(
      "io_mismatch",
      `the spec names ${what} "${name}" but the model has ${names}`,
    );
  }
  return found;
}

/**
 * The spec the weight will run with: the given one, or one derived from the graph (channels
 * from the input's channel dimension, fixed size when height and width are fixed). A
 * super-resolution scale that is not given is measured on the reference run.
 */
export function resolveSpec(
  kind: TaskKind,
  given: unknown,
  info: OnnxInspection,
): { spec: ModelSpecInput; scaleFromRun: boolean } {
  if (given !== undefined && given !== null) {
    const parsed = ModelSpec.safeParse(given);
    if (!parsed.success) {
      throw new Rejection(
        "io_mismatch",
        `the model spec is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    }
    if (parsed.data.kind !== kind) {
      throw new Rejection(
        "io_mismatch",
        `the spec is for ${parsed.data.kind} but the weight is registered for ${kind}`,
      );
    }
    return { spec: parsed.data, scaleFromRun: false };
  }
  const input = info.inputs[0];
  const shape = input?.shape ?? [];
  const channels = shape[1];
  const h = shape[2];
  const w = shape[3];
  const size =
    typeof h === "number" && typeof w === "number" && h > 0 && w > 0
      ? { mode: "fixed" as const, width: w, height: h }
      : { mode: "dynamic" as const, multipleOf: 1 };
  const colorOrder = channels === 1 ? ("gray" as const) : ("rgb" as const);
  if (kind === "super_resolution") {
    return { spec: { kind, colorOrder, size, scale: 1 }, scaleFromRun: true };
  }
  return { spec: { kind, colorOrder, size }, scaleFromRun: false };
}

function channelsFor(spec: ModelSpec): number {
  return spec.colorOrder === "gray" ? 1 : 3;
}

/** Declared I/O against the task kind and spec; throws Rejection("io_mismatch"). */
export function checkDeclaredIo(kind: TaskKind, spec: ModelSpec, info: OnnxInspection): void {
  const input = pick(info.inputs, spec.inputName, "input");
  const output = pick(info.outputs, spec.outputName, "output");
  const extra = info.inputs.filter((v) => v.name !== input.name);
  if (extra.length > 0) {
    throw new Rejection(
      "io_mismatch",
      `the model needs ${info.inputs.length} inputs (${info.inputs.map((v) => v.name).join(", ")}); a ${kind} weight takes exactly one image tensor`,
    );
  }
  if (input.dtype !== "float32") {
    throw new Rejection(
      "io_mismatch",
      `input "${input.name}" is ${input.dtype}; a float32 image tensor is required`,
    );
  }
  if (output.dtype !== "float32") {
    throw new Rejection(
      "io_mismatch",
      `output "${output.name}" is ${output.dtype}; float32 is required`,
    );
  }
  if (input.shape && input.shape.length !== 4) {
    throw new Rejection(
      "io_mismatch",
      `input "${input.name}" has shape ${fmt(input.shape)}; an NCHW image tensor [N, C, H, W] is required`,
    );
  }
  const c = input.shape?.[1];
  if (typeof c === "number" && c !== channelsFor(spec)) {
    throw new Rejection(
      "io_mismatch",
      `input "${input.name}" has ${c} channel(s) but the spec's colour order "${spec.colorOrder}" feeds ${channelsFor(spec)}`,
    );
  }
  if (spec.size.mode === "fixed" && input.shape) {
    const [, , h, w] = input.shape;
    if (
      (typeof h === "number" && h !== spec.size.height) ||
      (typeof w === "number" && w !== spec.size.width)
    ) {
      throw new Rejection(
        "io_mismatch",
        `input "${input.name}" is ${fmt(input.shape)} but the spec says ${spec.size.width}x${spec.size.height}`,
      );
    }
  }
  const rank = output.shape?.length;
  if (rank === undefined) return;
  if (kind === "segmentation" && rank !== 4 && rank !== 3) {
    throw new Rejection(
      "io_mismatch",
      `output "${output.name}" has shape ${fmt(output.shape)}; segmentation needs a map [N, C, H, W] or [N, H, W]`,
    );
  }
  if (kind === "super_resolution" && rank !== 4) {
    throw new Rejection(
      "io_mismatch",
      `output "${output.name}" has shape ${fmt(output.shape)}; super-resolution needs an image [N, C, H, W]`,
    );
  }
  if (kind === "classification") {
    const trailingOnes = output.shape?.slice(2).every((d) => d === 1) ?? false;
    if (rank !== 2 && !(rank === 4 && trailingOnes)) {
      throw new Rejection(
        "io_mismatch",
        `output "${output.name}" has shape ${fmt(output.shape)}; classification needs scores [N, K]`,
      );
    }
  }
}

/** Size of the reference input: the fixed size, or a small multiple of what a dynamic model needs. */
export function referenceSize(spec: ModelSpec): { width: number; height: number } {
  if (spec.size.mode === "fixed") return { width: spec.size.width, height: spec.size.height };
  const m = spec.size.multipleOf;
  const side = Math.max(spec.size.minSize, Math.ceil(64 / m) * m);
  return { width: side, height: side };
}

/**
 * A deterministic, structured test image (gradients, waves, an edge) normalised the way the
 * spec says; structure matters because a model that ignores its input gives a constant map.
 */
export function referenceInput(spec: ModelSpec): { data: Float32Array; dims: number[] } {
  const { width, height } = referenceSize(spec);
  const channels = channelsFor(spec);
  const data = new Float32Array(channels * width * height);
  const { range, mean, std } = spec.normalization;
  const scale = range === "0-255" ? 255 : 1;
  let seed = 12345;
  for (let c = 0; c < channels; c++) {
    const m = mean[c] ?? mean[0] ?? 0;
    const s = std[c] ?? std[0] ?? 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const noise = (seed / 0x7fffffff - 0.5) * 0.1;
        const wave = 0.25 * Math.sin((x + c * 7) * 0.35) * Math.cos(y * 0.21);
        const edge = x > width / 2 ? 0.2 : -0.2;
        const v = Math.min(1, Math.max(0, 0.5 + wave + edge + noise));
        data[c * width * height + y * width + x] = (v * scale - m) / s;
      }
    }
  }
  return { data, dims: [1, channels, height, width] };
}

export interface OutputFacts {
  derivedScale?: number;
}

/** The reference run's output: finite, not constant, shaped as the task kind needs. */
export function checkOutput(
  kind: TaskKind,
  spec: ModelSpec,
  inputDims: number[],
  output: { data: ArrayLike<number>; dims: readonly number[] },
  scaleFromRun: boolean,
): OutputFacts {
  const { data, dims } = output;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) nonFinite++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (data.length === 0) throw new Rejection("io_mismatch", "the model returned an empty output");
  if (nonFinite > 0) {
    throw new Rejection(
      "nan_output",
      `the output contains ${nonFinite} NaN or infinite value(s) out of ${data.length} on the reference input`,
    );
  }
  if (max - min <= 1e-6 * Math.max(1, Math.abs(max))) {
    throw new Rejection(
      "constant_output",
      `the output is constant (every value is ${min}) on a structured reference input; the weights look broken`,
    );
  }
  const [, , inH = 0, inW = 0] = inputDims;
  const shapeText = `[${dims.join(", ")}]`;
  if (kind === "segmentation") {
    const [h, w] = dims.slice(-2);
    if (spec.size.mode === "dynamic" && (h !== inH || w !== inW)) {
      throw new Rejection(
        "io_mismatch",
        `for a ${inW}x${inH} input the map is ${shapeText}; segmentation must return a map of the input's size`,
      );
    }
    if (
      dims.length === 4 &&
      spec.kind === "segmentation" &&
      spec.foregroundChannel >= (dims[1] ?? 0)
    ) {
      throw new Rejection(
        "io_mismatch",
        `the spec's foreground channel ${spec.foregroundChannel} does not exist in output ${shapeText}`,
      );
    }
    return {};
  }
  if (kind === "super_resolution") {
    const [, c, h = 0, w = 0] = dims;
    if (dims.length !== 4 || c !== inputDims[1]) {
      throw new Rejection(
        "io_mismatch",
        `for input [${inputDims.join(", ")}] the output is ${shapeText}; super-resolution must return an image with the input's channels`,
      );
    }
    const sy = h / inH;
    const sx = w / inW;
    if (sx !== sy || !Number.isInteger(sx) || sx < 1) {
      throw new Rejection(
        "io_mismatch",
        `for a ${inW}x${inH} input the output is ${w}x${h}: not a whole-number scale`,
      );
    }
    if (!scaleFromRun && spec.kind === "super_resolution" && spec.scale !== sx) {
      throw new Rejection(
        "io_mismatch",
        `the spec says x${spec.scale} but the model upscales x${sx}`,
      );
    }
    return { derivedScale: sx };
  }
  const classes = dims.length === 2 ? (dims[1] ?? 0) : data.length / (dims[0] ?? 1);
  if (classes < 2)
    throw new Rejection(
      "io_mismatch",
      `the output ${shapeText} has ${classes} score(s); classification needs at least 2 classes`,
    );
  if (spec.kind === "classification" && spec.labels.length > 0 && spec.labels.length !== classes) {
    throw new Rejection(
      "io_mismatch",
      `the spec lists ${spec.labels.length} labels but the model scores ${classes} classes`,
    );
  }
  return {};
}
