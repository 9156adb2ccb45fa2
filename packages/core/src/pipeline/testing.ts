import { createHash } from "node:crypto";
import { SessionCache } from "../runtime/cache";
import type { ModelRunner, TensorOut } from "../runtime/runner";
import { ModelSpec, type ModelSpecInput } from "../spec/index";
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

/** Wraps a runner to count calls and observe input shapes. */
export class CountingRunner implements ModelRunner {
  calls: number[][] = [];
  /** Copies of the inputs, when constructed with keepInputs. */
  inputs: Float32Array[] = [];
  constructor(
    private readonly inner: ModelRunner,
    private readonly keepInputs = false,
  ) {}
  get device() {
    return this.inner.device;
  }
  get inputNames() {
    return this.inner.inputNames;
  }
  get outputNames() {
    return this.inner.outputNames;
  }
  run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    this.calls.push([...dims]);
    if (this.keepInputs) this.inputs.push(Float32Array.from(input));
    return this.inner.run(input, dims);
  }
}
