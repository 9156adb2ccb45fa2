import * as ort from "onnxruntime-node";
import type { LoadedModel } from "../runtime/cache";
import type { Device } from "../runtime/providers";
import { type ModelRunner, SessionRunner } from "../runtime/runner";
import { ModelSpec, type ModelSpecInput } from "../spec/index";
import { modelChannels } from "../tensor/index";

export interface PreparedModel<S extends ModelSpec = ModelSpec> {
  runner: ModelRunner;
  spec: S;
  weightSha256: string;
}

/** Binds a cached session to its spec (names checked against the graph). */
export function prepareModel<S extends ModelSpec = ModelSpec>(
  loaded: LoadedModel,
  spec: ModelSpecInput | S,
): PreparedModel<S> {
  const parsed = ModelSpec.parse(spec) as S;
  const names: { input?: string; output?: string } = {};
  if (parsed.inputName) names.input = parsed.inputName;
  if (parsed.outputName) names.output = parsed.outputName;
  return {
    runner: new SessionRunner(loaded.session, loaded.device, names),
    spec: parsed,
    weightSha256: loaded.sha256,
  };
}

/** Shape of a small representative input for warm-up runs. */
export function warmupShape(spec: ModelSpec): number[] {
  const c = modelChannels(spec.colorOrder);
  if (spec.size.mode === "fixed") return [1, c, spec.size.height, spec.size.width];
  const m = spec.size.multipleOf;
  const side = Math.max(spec.size.minSize, Math.ceil(64 / m) * m);
  return [1, c, side, side];
}

/** A warm-up function for SessionCache.get: one run on zeros of a representative shape. */
export function warmupFor(spec: ModelSpecInput | ModelSpec) {
  const parsed = ModelSpec.parse(spec);
  return async (session: ort.InferenceSession) => {
    const dims = warmupShape(parsed);
    const size = dims.reduce((a, b) => a * b, 1);
    const name = parsed.inputName ?? (session.inputNames[0] as string);
    const input = new ort.Tensor("float32", new Float32Array(size), dims);
    const out = await session.run({ [name]: input });
    input.dispose();
    for (const t of Object.values(out)) t.dispose();
  };
}

export interface ResultMeta {
  device: Device;
  signature: string;
  weightSha256: string;
}
