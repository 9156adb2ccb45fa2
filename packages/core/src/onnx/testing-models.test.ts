import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { buildClassifierModel, buildSegmentationModel, buildTinySrModel } from "./testing-models";

async function runOnce(bytes: Uint8Array, name: string, input: ort.Tensor) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [name]: input });
    return out[session.outputNames[0] as string] as ort.Tensor;
  } finally {
    await session.release();
  }
}

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * 37) % 101) / 100);
}

describe("testing models", () => {
  it("tiny SR upscales by its scale and has the declared receptive field", async () => {
    for (const scale of [2, 4]) {
      const model = buildTinySrModel({ scale, layers: 3 });
      expect(model.receptiveField).toBe(3);
      const [H, W] = [15, 17];
      const base = ramp(3 * H * W);
      const out = await runOnce(
        model.bytes,
        model.inputName,
        new ort.Tensor("float32", base, [1, 3, H, W]),
      );
      expect(out.dims).toEqual([1, 3, H * scale, W * scale]);
      // Perturb one input pixel; only outputs within the receptive field may change.
      const bumped = base.slice();
      const [py, px] = [7, 8];
      bumped[py * W + px] = (bumped[py * W + px] as number) + 0.5;
      const out2 = await runOnce(
        model.bytes,
        model.inputName,
        new ort.Tensor("float32", bumped, [1, 3, H, W]),
      );
      const a = out.data as Float32Array;
      const b = out2.data as Float32Array;
      let changedMax = 0;
      for (let i = 0; i < a.length; i++) {
        if (a[i] === b[i]) continue;
        const plane = i % (H * scale * W * scale);
        const y = Math.floor(Math.floor(plane / (W * scale)) / scale);
        const x = Math.floor((plane % (W * scale)) / scale);
        changedMax = Math.max(changedMax, Math.abs(y - py), Math.abs(x - px));
      }
      expect(changedMax).toBeGreaterThan(0);
      expect(changedMax).toBeLessThanOrEqual(model.receptiveField);
    }
  });

  it("segmentation model follows the OCTA contract", async () => {
    const model = buildSegmentationModel();
    const out = await runOnce(
      model.bytes,
      "input",
      new ort.Tensor("float32", ramp(256 * 256), [1, 1, 256, 256]),
    );
    expect(out.dims).toEqual([1, 1, 256, 256]);
    const data = out.data as Float32Array;
    expect(Math.min(...data)).toBeLessThan(Math.max(...data));
    const dyn = buildSegmentationModel({ size: "dynamic", channels: 3, sigmoid: true });
    const out2 = await runOnce(
      dyn.bytes,
      "input",
      new ort.Tensor("float32", ramp(3 * 40 * 60), [1, 3, 40, 60]),
    );
    expect(out2.dims).toEqual([1, 1, 40, 60]);
    for (const v of out2.data as Float32Array) expect(v > 0 && v < 1).toBe(true);
  });

  it("classifier returns softmax probabilities", async () => {
    const model = buildClassifierModel({ classes: 5 });
    const out = await runOnce(
      model.bytes,
      "input",
      new ort.Tensor("float32", ramp(3 * 32 * 32), [1, 3, 32, 32]),
    );
    expect(out.dims).toEqual([1, 5]);
    const sum = Array.from(out.data as Float32Array).reduce((s, v) => s + v, 0);
    expect(sum).toBeCloseTo(1, 5);
  });
});
