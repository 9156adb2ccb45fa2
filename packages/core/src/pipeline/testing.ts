import { createHash } from "node:crypto";
import type { TinySrModel } from "../onnx/testing-models";
import { SessionCache } from "../runtime/cache";
import type { ModelRunner, TensorOut } from "../runtime/runner";
import { ModelSpec, type ModelSpecInput, type SuperResolutionSpec } from "../spec/index";
import { ForwardingRunner } from "./forwarding-runner";
import { type PreparedModel, prepareModel, warmupFor } from "./model";

/** Test/bench helper: ONNX bytes + spec -> a prepared model through a real session cache. */
export async function prepareFromBytes<S extends ModelSpec = ModelSpec>(
  bytes: Uint8Array,
  spec: ModelSpecInput,
  cache = new SessionCache({ intraOpThreads: 2 }),
): Promise<PreparedModel<S>> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const parsed = ModelSpec.parse(spec);
  const loaded = await cache.get({ sha256, load: () => bytes, warmup: warmupFor(parsed) });
  return prepareModel<S>(loaded, parsed);
}

/** A buildTinySrModel model prepared as super-resolution with its own scale and receptive field. */
export function prepareTinySr(
  tiny: TinySrModel,
  spec: Partial<ModelSpecInput> = {},
): Promise<PreparedModel<SuperResolutionSpec>> {
  return prepareFromBytes<SuperResolutionSpec>(tiny.bytes, {
    kind: "super_resolution",
    scale: tiny.scale,
    receptiveField: tiny.receptiveField,
    ...spec,
  } as ModelSpecInput);
}

/** Wraps a runner to count calls and observe input shapes. */
export class CountingRunner extends ForwardingRunner {
  calls: number[][] = [];
  /** Copies of the inputs, when constructed with keepInputs. */
  inputs: Float32Array[] = [];
  constructor(
    inner: ModelRunner,
    private readonly keepInputs = false,
  ) {
    super(inner);
  }
  run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    this.calls.push([...dims]);
    if (this.keepInputs) this.inputs.push(Float32Array.from(input));
    return this.inner.run(input, dims);
  }
}
