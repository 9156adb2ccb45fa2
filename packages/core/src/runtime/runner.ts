import * as ort from "onnxruntime-node";
import type { Device } from "./providers";

export interface TensorOut {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * The only thing tiling and pipelines need from a model: float32 NCHW in, float32 out.
 * Wrappers (e.g. a remote serving engine, or a test that injects failures) implement this.
 */
export interface ModelRunner {
  readonly device: Device;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(input: Float32Array, dims: readonly number[]): Promise<TensorOut>;
}

export class SessionRunner implements ModelRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly inputName: string;
  private readonly outputName: string;

  constructor(
    readonly session: ort.InferenceSession,
    readonly device: Device,
    names: { input?: string; output?: string } = {},
  ) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
    this.inputName = names.input ?? (session.inputNames[0] as string);
    this.outputName = names.output ?? (session.outputNames[0] as string);
    if (!this.inputNames.includes(this.inputName)) {
      throw new Error(
        `model has no input "${this.inputName}" (inputs: ${this.inputNames.join(", ")})`,
      );
    }
    if (!this.outputNames.includes(this.outputName)) {
      throw new Error(
        `model has no output "${this.outputName}" (outputs: ${this.outputNames.join(", ")})`,
      );
    }
  }

  async run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    const tensor = new ort.Tensor("float32", input, dims);
    const results = await this.session.run({ [this.inputName]: tensor }, [this.outputName]);
    const out = results[this.outputName];
    if (!out) throw new Error(`model produced no output "${this.outputName}"`);
    try {
      if (out.type !== "float32") {
        throw new Error(`model output "${this.outputName}" is ${out.type}, expected float32`);
      }
      return { data: out.data as Float32Array, dims: out.dims };
    } finally {
      tensor.dispose();
    }
  }
}
