import { createHash } from "node:crypto";
import type { TinySrModel } from "../onnx/testing-models";
import { SessionCache } from "../runtime/cache";
import type { ModelRunner, TensorOut } from "../runtime/runner";
import { ModelSpec, type ModelSpecInput, type SuperResolutionSpec } from "../spec/index";
import { withByteOutput } from "./byte-output";
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
  const loaded = await cache.get({
    sha256,
    load: () => withByteOutput(bytes, parsed),
    warmup: warmupFor(parsed),
  });
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

/**
 * Wraps a runner to count calls and observe input shapes, runs that fetch the 8-bit output
 * (runBytes, kept where the inner runner has it) among them.
 */
export class CountingRunner extends ForwardingRunner {
  calls: number[][] = [];
  byteCalls = 0;
  /** Copies of the inputs, when constructed with keepInputs. */
  inputs: Float32Array[] = [];
  readonly runBytes?: ModelRunner["runBytes"];
  constructor(
    inner: ModelRunner,
    private readonly keepInputs = false,
  ) {
    super(inner);
    const { runBytes } = inner;
    if (runBytes) {
      this.runBytes = (input, dims) => {
        this.byteCalls++;
        this.observe(input, dims);
        return runBytes.call(inner, input, dims);
      };
    }
  }
  run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    this.observe(input, dims);
    return this.inner.run(input, dims);
  }
  private observe(input: Float32Array, dims: readonly number[]) {
    this.calls.push([...dims]);
    if (this.keepInputs) this.inputs.push(Float32Array.from(input));
  }
}
