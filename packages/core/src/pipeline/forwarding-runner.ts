import type { ModelRunner, TensorOut } from "../runtime/runner";

/**
 * A runner that shows another runner's device and names and changes only what `run` does: the
 * base of the wrappers that count calls, refuse inputs or route a run to another session.
 */
export abstract class ForwardingRunner implements ModelRunner {
  constructor(protected readonly inner: ModelRunner) {}

  get device() {
    return this.inner.device;
  }
  get inputNames() {
    return this.inner.inputNames;
  }
  get outputNames() {
    return this.inner.outputNames;
  }

  abstract run(input: Float32Array, dims: readonly number[]): Promise<TensorOut>;
}
