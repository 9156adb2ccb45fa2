import * as ort from "onnxruntime-node";
import type { LoadedModel, WarmupReport } from "../runtime/cache";
import type { Device } from "../runtime/providers";
import { type ModelRunner, SessionRunner } from "../runtime/runner";
import { measureBytesPerPixel } from "../runtime/working-memory";
import { ModelSpec, type ModelSpecInput } from "../spec/index";
import { modelChannels } from "../tensor/index";
import { verifyExactTiling } from "../tiling/exact";
import type { SqueezeSync } from "./squeeze-sync";

export interface PreparedModel<S extends ModelSpec = ModelSpec> {
  runner: ModelRunner;
  spec: S;
  weightSha256: string;
  /**
   * Memory one run needs per input pixel, as measured when the session was warmed up; tile
   * "auto" sizes tiles by it (tiling/auto.ts). Absent: the generic estimate is used.
   */
  workingBytesPerPixel?: number;
  /**
   * The warm-up verified that tiles cut with one receptive field of context give the untiled
   * result bit for bit on this session (tiling/exact.ts): "auto" overlap then tiles exactly.
   */
  exactTiling?: boolean;
  /**
   * Sessions that take the whole image's global averages from outside, for specs with
   * `globalPooling: "whole-image"` (see squeeze-sync.ts); without it tiles average over themselves.
   */
  squeezeSync?: SqueezeSync;
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
    ...(loaded.workingBytesPerPixel ? { workingBytesPerPixel: loaded.workingBytesPerPixel } : {}),
    ...(loaded.exactTiling ? { exactTiling: true } : {}),
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

/**
 * A warm-up function for SessionCache.get: one run on zeros of a representative shape. With
 * `measureMemory`, a model of dynamic size first runs at half that side, and the report carries
 * its working memory per input pixel measured from the two runs (for tile "auto"). These must
 * be the session's first runs (runtime/working-memory.ts). Super-resolution models on the CPU
 * are then checked for exact tiling (tiling/exact.ts); on CUDA kernels are picked by shape, so
 * blending stays.
 */
export function warmupFor(
  spec: ModelSpecInput | ModelSpec,
  opts: { measureMemory?: boolean } = {},
) {
  const parsed = ModelSpec.parse(spec);
  return async (session: ort.InferenceSession, device?: Device): Promise<WarmupReport> => {
    const name = parsed.inputName ?? (session.inputNames[0] as string);
    const runOn = async (dims: number[]) => {
      const input = new ort.Tensor(
        "float32",
        new Float32Array(dims.reduce((a, b) => a * b, 1)),
        dims,
      );
      const out = await session.run({ [name]: input });
      input.dispose();
      for (const t of Object.values(out)) t.dispose();
    };
    const dims = warmupShape(parsed);
    const [n, c, side] = dims as [number, number, number];
    const m = parsed.size.mode === "dynamic" ? parsed.size.multipleOf : 1;
    const small =
      parsed.size.mode === "dynamic"
        ? Math.max(parsed.size.minSize, Math.ceil(side / 2 / m) * m)
        : side;
    let report: WarmupReport = {};
    if (!opts.measureMemory || small >= side) {
      await runOn(dims);
    } else {
      const measured = await measureBytesPerPixel({
        run: (s) => runOn([n, c, s, s]),
        small,
        large: side,
        inputBytesPerPixel: 4 * c,
      });
      if (measured) report = { workingBytesPerPixel: measured };
    }
    if (device === "cpu" && (await tilesExactly(session, parsed))) report.exactTiling = true;
    return report;
  };
}

async function tilesExactly(session: ort.InferenceSession, spec: ModelSpec): Promise<boolean> {
  if (spec.kind !== "super_resolution" || spec.size.mode !== "dynamic") return false;
  if (spec.globalPooling === "whole-image") return false;
  let runner: SessionRunner;
  try {
    runner = new SessionRunner(session, "cpu", {
      ...(spec.inputName ? { input: spec.inputName } : {}),
      ...(spec.outputName ? { output: spec.outputName } : {}),
    });
  } catch {
    return false;
  }
  // A model that cannot even run the check's windows is simply tiled the blended way; its real
  // errors surface, with their own messages, when a task runs it.
  return verifyExactTiling({
    run: (input, dims) => runner.run(input, dims),
    channels: modelChannels(spec.colorOrder),
    scale: spec.scale,
    receptiveField: spec.receptiveField,
    multipleOf: spec.size.multipleOf,
    minSize: spec.size.minSize,
  }).catch(() => false);
}

export interface ResultMeta {
  device: Device;
  signature: string;
  weightSha256: string;
}
