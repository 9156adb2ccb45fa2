import { describe, expect, it } from "vitest";
import {
  expectComputesLikeTorch,
  importTorchCase,
  readTorchCases,
  type TorchCase,
} from "./testing/torch-cases";

/**
 * Real torch.save files of RRDBNet (BasicSR layout at x1/x2/x4/x8, original ESRGAN layout),
 * SRVGGNetCompact (PReLU x4/x2, ReLU x3), SPAN (x1-x4, with and without input normalisation)
 * and the OCTA U-Net layout (with and without BatchNorm), written with their inputs and
 * PyTorch's outputs by packages/core/scripts/reference/make_fixtures.py (Debian python3-torch).
 * Each is uploaded without naming an architecture: detection must find the configuration, and
 * the ONNX model it builds must compute what PyTorch computed.
 */
interface Case extends TorchCase {
  /**
   * dtype, wrapper, dataParallel: how the file was saved (half precision, inside a checkpoint
   * dict under that key, with DataParallel's `module.` prefix).
   */
  expect: TorchCase["expect"] & {
    dtype?: "F16" | "BF16";
    wrapper?: string;
    dataParallel?: boolean;
  };
}
const cases = readTorchCases<Case>("torch-ref-manifest.json");

describe("detected architectures compute what PyTorch computes", () => {
  it("covers at least two sizes of each family", () => {
    const families = cases.map((c) => c.expect.id.split("-")[0]);
    expect(families.filter((f) => f === "rrdbnet").length).toBeGreaterThanOrEqual(2);
    expect(families.filter((f) => f === "srvgg").length).toBeGreaterThanOrEqual(2);
    expect(families.filter((f) => f === "span").length).toBeGreaterThanOrEqual(2);
    expect(families.filter((f) => f === "unet").length).toBeGreaterThanOrEqual(2);
    // Both variants of the families that have one.
    const ids = cases.map((c) => c.expect.id);
    expect(ids.some((id) => id.startsWith("span-") && id.endsWith("-nonorm"))).toBe(true);
    expect(ids.some((id) => id.startsWith("span-") && !id.endsWith("-nonorm"))).toBe(true);
    expect(ids.some((id) => id.startsWith("unet-") && id.endsWith("-nobn"))).toBe(true);
    expect(ids.some((id) => id.startsWith("unet-") && !id.endsWith("-nobn"))).toBe(true);
    // Files saved the ways published ones are: float16, bfloat16, checkpoints, DataParallel.
    const saved = cases.map((c) => c.expect);
    expect(saved.map((e) => e.dtype).filter(Boolean)).toEqual(["F16", "BF16"]);
    expect(saved.some((e) => e.wrapper && e.dataParallel)).toBe(true);
  });

  for (const c of cases) {
    it(`${c.name}: detected as ${c.expect.id}, output within 1e-4 of torch`, async () => {
      const { onnx, report } = await importTorchCase(c);
      expect(report.detected?.parameterCount).toBe(c.parameterCount);
      expect(report.wrapperKey).toBe(c.expect.wrapper ?? null);
      expect(report.strippedPrefix).toBe(c.expect.dataParallel ? "module." : null);
      if (c.expect.dtype) {
        expect(Object.keys(report.dtypes)).toEqual([c.expect.dtype]);
        expect(report.warnings.join(" ")).toMatch(
          /half-precision tensor\(s\) converted to float32/,
        );
      }

      await expectComputesLikeTorch(onnx as Uint8Array, c);
    });
  }
});
