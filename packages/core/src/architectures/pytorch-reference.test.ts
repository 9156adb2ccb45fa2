import { readFixture } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { importWeights } from "../importers/import-weights";
import { maxDifference } from "../testing-numbers";

/**
 * Real torch.save files of RRDBNet (BasicSR layout at x1/x2/x4/x8, original ESRGAN layout),
 * SRVGGNetCompact (PReLU x4/x2, ReLU x3), SPAN (x1-x4, with and without input normalisation)
 * and the OCTA U-Net layout (with and without BatchNorm), written with their inputs and
 * PyTorch's outputs by packages/core/scripts/reference/make_fixtures.py (Debian python3-torch).
 * Each is uploaded without naming an architecture: detection must find the configuration, and
 * the ONNX model it builds must compute what PyTorch computed.
 */
interface Case {
  name: string;
  input: number[];
  output: number[];
  parameterCount: number;
  /**
   * generatedInput: the io file holds the output only (the input is generatedInput() below);
   * dtype, wrapper, dataParallel: how the file was saved (half precision, inside a checkpoint
   * dict under that key, with DataParallel's `module.` prefix).
   */
  expect: {
    id: string;
    scale?: number;
    generatedInput?: boolean;
    dtype?: "F16" | "BF16";
    wrapper?: string;
    dataParallel?: boolean;
  };
}
const manifest = JSON.parse(readFixture("torch-ref-manifest.json").toString("utf8")) as {
  cases: Case[];
};

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** make_fixtures.py's generated_input: x[i] = ((37 i) mod 101) / 100, flattened NCHW. */
function generatedInput(length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = ((i * 37) % 101) / 100;
  return out;
}

function io(c: Case): { input: Float32Array; output: Float32Array } {
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

describe("detected architectures compute what PyTorch computes", () => {
  it("covers at least two sizes of each family", () => {
    const families = manifest.cases.map((c) => c.expect.id.split("-")[0]);
    expect(families.filter((f) => f === "rrdbnet").length).toBeGreaterThanOrEqual(2);
    expect(families.filter((f) => f === "srvgg").length).toBeGreaterThanOrEqual(2);
    expect(families.filter((f) => f === "span").length).toBeGreaterThanOrEqual(2);
    expect(families.filter((f) => f === "unet").length).toBeGreaterThanOrEqual(2);
    // Both variants of the families that have one.
    const ids = manifest.cases.map((c) => c.expect.id);
    expect(ids.some((id) => id.startsWith("span-") && id.endsWith("-nonorm"))).toBe(true);
    expect(ids.some((id) => id.startsWith("span-") && !id.endsWith("-nonorm"))).toBe(true);
    expect(ids.some((id) => id.startsWith("unet-") && id.endsWith("-nobn"))).toBe(true);
    expect(ids.some((id) => id.startsWith("unet-") && !id.endsWith("-nobn"))).toBe(true);
    // Files saved the ways published ones are: float16, bfloat16, checkpoints, DataParallel.
    const saved = manifest.cases.map((c) => c.expect);
    expect(saved.map((e) => e.dtype).filter(Boolean)).toEqual(["F16", "BF16"]);
    expect(saved.some((e) => e.wrapper && e.dataParallel)).toBe(true);
  });

  for (const c of manifest.cases) {
    it(`${c.name}: detected as ${c.expect.id}, output within 1e-4 of torch`, async () => {
      const { onnx, report } = await importWeights({
        bytes: readFixture(`torch-ref-${c.name}.pth`),
        fileName: `${c.name}.pth`,
      });
      expect(report.problems).toEqual([]);
      expect(report.verdict).toBe("accepted");
      expect(report.architecture).toBe(c.expect.id);
      if (c.expect.scale !== undefined)
        expect(report.detected?.hyperparameters.scale).toBe(c.expect.scale);
      expect(report.parameterCount).toBe(c.parameterCount);
      expect(report.detected?.parameterCount).toBe(c.parameterCount);
      expect(report.wrapperKey).toBe(c.expect.wrapper ?? null);
      expect(report.strippedPrefix).toBe(c.expect.dataParallel ? "module." : null);
      if (c.expect.dtype) {
        expect(Object.keys(report.dtypes)).toEqual([c.expect.dtype]);
        expect(report.warnings.join(" ")).toMatch(
          /half-precision tensor\(s\) converted to float32/,
        );
      }

      const { input, output } = io(c);
      const session = await ort.InferenceSession.create(onnx as Uint8Array);
      try {
        const result = await session.run({ input: new ort.Tensor("float32", input, c.input) });
        const out = result[session.outputNames[0] as string] as ort.Tensor;
        expect(out.dims).toEqual(c.output);
        expect(maxDifference(out.data as Float32Array, output)).toBeLessThan(1e-4);
      } finally {
        await session.release();
      }
    });
  }
});
