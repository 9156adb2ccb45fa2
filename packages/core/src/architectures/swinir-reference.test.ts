import { readFixture } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { importWeights } from "../importers/import-weights";
import { maxDifference } from "../testing-numbers";
import {
  expectComputesLikeTorch,
  importTorchCase,
  readTorchCases,
  type TorchCase,
  torchIo,
} from "./testing/torch-cases";

/**
 * Real torch.save files of SwinIR (classical x2 / x4, lightweight x3, real-world x4 with 3conv,
 * gray denoising, JPEG-style window 7 with img_range 255), with their inputs and PyTorch's
 * outputs, written by packages/core/scripts/reference/make_swinir_fixtures.py (Debian
 * python3-torch, the module following the official network_swinir.py). Each is uploaded without
 * naming an architecture: detection must find the configuration, and the ONNX model it builds
 * (window attention, shifted-window masks, reflect padding and crop) must compute what PyTorch
 * computed. Three inputs are not multiples of the window size.
 */
interface Case extends TorchCase {
  expect: { id: string; scale: number };
}
const cases = readTorchCases<Case>("torch-ref-swinir-manifest.json");

const windowOf = (id: string) => Number(/-w(\d+)-/.exec(id)?.[1]);

describe("SwinIR state_dicts compute what PyTorch computes", () => {
  it("covers every upsampler, both residual connections and the padding path", () => {
    const ids = cases.map((c) => c.expect.id);
    for (const part of ["-pixelshuffle-", "-pixelshuffledirect", "-nearestconv-", "-none"]) {
      expect(ids.some((id) => id.includes(part))).toBe(true);
    }
    expect(ids.some((id) => id.includes("-3conv"))).toBe(true);
    expect(new Set(ids.map(windowOf)).size).toBeGreaterThanOrEqual(3);
    const padded = cases.filter((c) => {
      const ws = windowOf(c.expect.id);
      return (c.input[2] as number) % ws !== 0 || (c.input[3] as number) % ws !== 0;
    });
    expect(padded.length).toBeGreaterThanOrEqual(1);
  });

  it("computes each image of a batch as it computes it alone", async () => {
    const c = cases.find((k) => k.name === "swinir-lightweight-x3") as Case;
    const { onnx } = await importWeights({
      bytes: readFixture(`torch-ref-${c.name}.pth`),
      fileName: `${c.name}.pth`,
    });
    const { input, output } = torchIo(c);
    const flipped = input.map((v) => 1 - v);
    const batch = new Float32Array(2 * input.length);
    batch.set(input);
    batch.set(flipped, input.length);
    const session = await ort.InferenceSession.create(onnx as Uint8Array);
    try {
      const run = async (data: Float32Array, n: number) => {
        const dims = [n, ...c.input.slice(1)];
        const out = await session.run({ input: new ort.Tensor("float32", data, dims) });
        return out[session.outputNames[0] as string]?.data as Float32Array;
      };
      const both = await run(batch, 2);
      const alone = await run(flipped, 1);
      expect(maxDifference(both.subarray(0, output.length), output)).toBeLessThan(1e-4);
      expect(maxDifference(both.subarray(output.length), alone)).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });

  for (const c of cases) {
    it(`${c.name}: detected as ${c.expect.id}, output within 1e-4 of torch`, async () => {
      const { onnx, report } = await importTorchCase(c);
      expect(report.detected?.family).toBe("swinir");
      await expectComputesLikeTorch(onnx as Uint8Array, c);
    });
  }
});
