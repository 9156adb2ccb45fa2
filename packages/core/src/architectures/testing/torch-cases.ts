// The reference cases make_fixtures.py and make_swinir_fixtures.py write: a torch.save file, the
// input and PyTorch's output of each, and a manifest listing them. One reader and one check, so
// every family's reference test imports and compares the same way.
import { readFixture } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import { expect } from "vitest";
import { type ImportResult, importWeights } from "../../importers/import-weights";
import { maxDifference } from "../../testing-numbers";

export interface TorchCase {
  name: string;
  input: number[];
  output: number[];
  parameterCount: number;
  /** generatedInput: the io file holds the output only (the input is generatedInput() below). */
  expect: { id: string; scale?: number; generatedInput?: boolean };
}

export function readTorchCases<C extends TorchCase>(manifestFixture: string): C[] {
  return (JSON.parse(readFixture(manifestFixture).toString("utf8")) as { cases: C[] }).cases;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The scripts' generated_input: x[i] = ((37 i) mod 101) / 100, flattened NCHW. */
function generatedInput(length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = ((i * 37) % 101) / 100;
  return out;
}

/** The case's input and PyTorch's output, from its `.io.bin` fixture. */
export function torchIo(c: TorchCase): { input: Float32Array; output: Float32Array } {
  const bytes = readFixture(`torch-ref-${c.name}.io.bin`);
  const all = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  if (c.expect.generatedInput) {
    expect(all.length).toBe(numel(c.output));
    return { input: generatedInput(numel(c.input)), output: all };
  }
  expect(all.length).toBe(numel(c.input) + numel(c.output));
  return { input: all.subarray(0, numel(c.input)), output: all.subarray(numel(c.input)) };
}

/**
 * Uploads the case's torch.save file without naming an architecture and checks what every case
 * must show: accepted, detected as the expected id with its scale and parameter count.
 */
export async function importTorchCase(c: TorchCase): Promise<ImportResult> {
  const result = await importWeights({
    bytes: readFixture(`torch-ref-${c.name}.pth`),
    fileName: `${c.name}.pth`,
  });
  const { report } = result;
  expect(report.problems).toEqual([]);
  expect(report.verdict).toBe("accepted");
  expect(report.architecture).toBe(c.expect.id);
  if (c.expect.scale !== undefined)
    expect(report.detected?.hyperparameters.scale).toBe(c.expect.scale);
  expect(report.parameterCount).toBe(c.parameterCount);
  return result;
}

/** Runs the built ONNX model on the case's input: PyTorch's output shape, within 1e-4. */
export async function expectComputesLikeTorch(onnx: Uint8Array, c: TorchCase): Promise<void> {
  const { input, output } = torchIo(c);
  const session = await ort.InferenceSession.create(onnx);
  try {
    const result = await session.run({ input: new ort.Tensor("float32", input, c.input) });
    const out = result[session.outputNames[0] as string] as ort.Tensor;
    expect(out.dims).toEqual(c.output);
    expect(maxDifference(out.data as Float32Array, output)).toBeLessThan(1e-4);
  } finally {
    await session.release();
  }
}
