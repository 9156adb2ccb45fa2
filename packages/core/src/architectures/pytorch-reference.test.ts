import { readFixture } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { importWeights } from "../importers/import-weights";
import { maxDifference } from "../testing-numbers";

/**
 * Real torch.save files of RRDBNet (BasicSR layout at x1/x2/x4/x8, original ESRGAN layout) and
 * SRVGGNetCompact (PReLU x4/x2, ReLU x3), written with their inputs and PyTorch's outputs by
 * packages/core/scripts/reference/make_fixtures.py (Debian python3-torch). Each is uploaded
 * without naming an architecture: detection must find the configuration, and the ONNX model it
 * builds must compute what PyTorch computed.
 */
interface Case {
  name: string;
  input: number[];
  output: number[];
  parameterCount: number;
  expect: { id: string; scale: number };
}
const manifest = JSON.parse(readFixture("torch-ref-manifest.json").toString("utf8")) as {
  cases: Case[];
};

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function io(c: Case): { input: Float32Array; output: Float32Array } {
  const bytes = readFixture(`torch-ref-${c.name}.io.bin`);
  const all = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  expect(all.length).toBe(numel(c.input) + numel(c.output));
  return { input: all.subarray(0, numel(c.input)), output: all.subarray(numel(c.input)) };
}

describe("detected architectures compute what PyTorch computes", () => {
  it("covers at least two sizes of each family", () => {
    const families = manifest.cases.map((c) => c.expect.id.split("-")[0]);
    expect(families.filter((f) => f === "rrdbnet").length).toBeGreaterThanOrEqual(2);
    expect(families.filter((f) => f === "srvgg").length).toBeGreaterThanOrEqual(2);
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
      expect(report.detected?.hyperparameters.scale).toBe(c.expect.scale);
      expect(report.parameterCount).toBe(c.parameterCount);
      expect(report.detected?.parameterCount).toBe(c.parameterCount);

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
