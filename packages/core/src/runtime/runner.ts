import * as ort from "onnxruntime-node";
import type { Device } from "./providers";

export interface TensorOut {
  data: Float32Array;
  dims: readonly number[];
}

/** An 8-bit output: [1, H, W, C] interleaved samples. */
export interface ByteTensorOut {
  data: Uint8Array;
  dims: readonly number[];
}

/**
 * The graph output a session may carry beside its own, with its image output already
 * quantised to 8 bits and interleaved (pipeline/byte-output.ts adds it).
 */
export const BYTE_OUTPUT = "studio_output_rgb8";

/**
 * The only thing tiling and pipelines need from a model: float32 NCHW in, float32 out.
 * Wrappers (e.g. a remote serving engine, or a test that injects failures) implement this.
 */
export interface ModelRunner {
  readonly device: Device;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(input: Float32Array, dims: readonly number[]): Promise<TensorOut>;
  /**
   * The same run, fetching the session's 8-bit output (BYTE_OUTPUT) instead of the floats;
   * present only where the session has one on the CPU.
   */
  readonly runBytes?: (input: Float32Array, dims: readonly number[]) => Promise<ByteTensorOut>;
}

export class SessionRunner implements ModelRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly inputName: string;
  private readonly outputName: string;
  readonly runBytes?: (input: Float32Array, dims: readonly number[]) => Promise<ByteTensorOut>;

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
    // The session's 8-bit output is built from the same spec's output (byte-output.ts).
    if (device === "cpu" && this.outputNames.includes(BYTE_OUTPUT)) {
      this.runBytes = (input, dims) => this.fetch(input, dims, BYTE_OUTPUT, "uint8");
    }
  }

  run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    return this.fetch(input, dims, this.outputName, "float32");
  }

  private async fetch<T extends "float32" | "uint8">(
    input: Float32Array,
    dims: readonly number[],
    name: string,
    type: T,
  ): Promise<{ data: T extends "uint8" ? Uint8Array : Float32Array; dims: readonly number[] }> {
    const tensor = new ort.Tensor("float32", input, dims);
    try {
      const results = await this.session.run({ [this.inputName]: tensor }, [name]);
      const out = results[name];
      if (!out) throw new Error(`model produced no output "${name}"`);
      if (out.type !== type) {
        throw new Error(`model output "${name}" is ${out.type}, expected ${type}`);
      }
      return { data: out.data as T extends "uint8" ? Uint8Array : Float32Array, dims: out.dims };
    } finally {
      tensor.dispose();
    }
  }
}
