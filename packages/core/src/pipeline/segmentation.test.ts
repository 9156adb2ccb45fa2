import { readFileSync } from "node:fs";
import { fixturePath } from "@studio/fixtures";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import { buildSegmentationModel } from "../onnx/testing-models";
import type { ModelRunner, TensorOut } from "../runtime/runner";
import { OCTA_SEGMENTATION_SPEC, type SegmentationSpec } from "../spec/index";
import type { PreparedModel } from "./model";
import { octaStyleTensor, runSegmentation, thresholdMask } from "./segmentation";
import { prepareFromBytes } from "./testing";

const read = (name: string) => readFileSync(fixturePath(name));

let octa: PreparedModel<SegmentationSpec>;
let dynamic: PreparedModel<SegmentationSpec>;

beforeAll(async () => {
  // The OCTA contract [1,1,256,256] -> [1,1,256,256] logits; the spec applies the sigmoid.
  octa = await prepareFromBytes(buildSegmentationModel().bytes, OCTA_SEGMENTATION_SPEC);
  dynamic = await prepareFromBytes(
    buildSegmentationModel({ size: "dynamic", channels: 3, sigmoid: true }).bytes,
    {
      kind: "segmentation",
      colorOrder: "rgb",
      size: { mode: "dynamic", multipleOf: 2 },
      normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      activation: "none",
      receptiveField: 8,
    },
  );
});

function cut(
  data: Uint8Array | Uint16Array,
  width: number,
  r: { x: number; y: number; width: number; height: number },
) {
  const out: number[] = [];
  for (let y = r.y; y < r.y + r.height; y++)
    for (let x = r.x; x < r.x + r.width; x++) out.push(data[y * width + x] as number);
  return out;
}

/** Capture the tensor the model receives. */
function capturing(inner: ModelRunner, seen: Float32Array[]): ModelRunner {
  return {
    device: inner.device,
    inputNames: inner.inputNames,
    outputNames: inner.outputNames,
    run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
      seen.push(Float32Array.from(input));
      return inner.run(input, dims);
    },
  };
}

describe("OCTA preset", () => {
  it("feeds the model gray, 256x256, (x/255 - 0.5)/0.5 computed independently", async () => {
    const bytes = read("retina.jpg");
    // Independent reference: sharp's own RGB decode, Rec.601 luma, bilinear with half-pixel centres.
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const W = info.width;
    const H = info.height;
    const gray = (x: number, y: number) => {
      const o = (y * W + x) * info.channels;
      return (
        0.299 * (data[o] as number) +
        0.587 * (data[o + 1] as number) +
        0.114 * (data[o + 2] as number)
      );
    };
    const seen: Float32Array[] = [];
    await runSegmentation({
      model: { ...octa, runner: capturing(octa.runner, seen) },
      input: bytes,
    });
    expect(seen).toHaveLength(1);
    const tensor = seen[0] as Float32Array;
    expect(tensor.length).toBe(256 * 256);
    let worst = 0;
    for (let j = 0; j < 256; j++) {
      const sy = Math.max(0, ((j + 0.5) * H) / 256 - 0.5);
      const y0 = Math.floor(sy);
      const y1 = Math.min(y0 + 1, H - 1);
      const fy = sy - y0;
      for (let i = 0; i < 256; i++) {
        const sx = Math.max(0, ((i + 0.5) * W) / 256 - 0.5);
        const x0 = Math.floor(sx);
        const x1 = Math.min(x0 + 1, W - 1);
        const fx = sx - x0;
        const v =
          (gray(x0, y0) * (1 - fx) + gray(x1, y0) * fx) * (1 - fy) +
          (gray(x0, y1) * (1 - fx) + gray(x1, y1) * fx) * fy;
        const expected = (v / 255 - 0.5) / 0.5;
        worst = Math.max(worst, Math.abs(expected - (tensor[j * 256 + i] as number)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    const min = tensor.reduce((a, b) => Math.min(a, b), 1);
    const max = tensor.reduce((a, b) => Math.max(a, b), -1);
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    expect(OCTA_SEGMENTATION_SPEC).toMatchObject({
      colorOrder: "gray",
      size: { mode: "fixed", width: 256, height: 256 },
      normalization: { mean: [0.5], std: [0.5] },
      activation: "sigmoid",
      defaultThreshold: 0.5,
    });
  });

  it("returns a uint8 0/255 mask at the original size, a 16-bit probability map and an overlay", async () => {
    const first = await runSegmentation({ model: octa, input: read("microaneurysms.png") });
    expect(first.threshold).toBe(0.5);
    expect(first.mask.data.every((v) => v === 0 || v === 255)).toBe(true);
    // The random test U-Net is not trained: pick the median probability so both classes occur.
    const sorted = Array.from(first.probability.data).sort((a, b) => a - b);
    const median = (sorted[sorted.length >> 1] as number) / 65535;
    const res = await runSegmentation({
      model: octa,
      input: read("microaneurysms.png"),
      params: { threshold: median },
    });
    expect([res.width, res.height, res.threshold]).toEqual([102, 102, median]);
    const mask = await decodeImage(res.png.mask as Buffer);
    expect([mask.width, mask.height, mask.channels, mask.depth]).toEqual([102, 102, 1, 8]);
    expect(new Set(mask.data)).toEqual(new Set([0, 255]));
    const prob = await decodeImage(res.png.probability as Buffer);
    expect([prob.depth, prob.channels]).toEqual([16, 1]);
    // Re-thresholding the stored probability map reproduces the mask exactly.
    expect(Buffer.from(thresholdMask(prob, median).data)).toEqual(Buffer.from(mask.data));
    const overlay = await decodeImage(res.png.overlay as Buffer);
    expect([overlay.width, overlay.channels]).toEqual([102, 3]);
    expect(res.foregroundFraction).toBeGreaterThan(0);
    expect(res.foregroundFraction).toBeLessThan(1);
    expect(res.device).toBe("cpu");
    expect(res.timings.runMs).toBeGreaterThan(0);

    const higher = await runSegmentation({
      model: octa,
      input: read("microaneurysms.png"),
      params: { threshold: median + 0.05, outputs: { probabilityBitDepth: 8 } },
    });
    expect(higher.signature).not.toBe(res.signature);
    expect(higher.foregroundFraction).toBeLessThan(res.foregroundFraction);
    expect(higher.probability.depth).toBe(8);
    // 8-bit map is the 16-bit one requantised (same probabilities).
    for (let i = 0; i < 102 * 102; i += 97) {
      expect(
        Math.abs(
          (higher.probability.data[i] as number) / 255 -
            (res.probability.data[i] as number) / 65535,
        ),
      ).toBeLessThan(1 / 255);
    }
  });

  it("a crop preview equals the crop of the full run", async () => {
    const full = await runSegmentation({ model: octa, input: read("retina.jpg") });
    const crop = await runSegmentation({
      model: octa,
      input: read("retina.jpg"),
      region: { x: 600, y: 500, width: 120, height: 80 },
    });
    expect(Array.from(crop.mask.data)).toEqual(
      Array.from(cut(full.mask.data, 1411, { x: 600, y: 500, width: 120, height: 80 })),
    );
    expect(Array.from(crop.probability.data)).toEqual(
      Array.from(cut(full.probability.data, 1411, { x: 600, y: 500, width: 120, height: 80 })),
    );
    expect(crop.signature).toBe(full.signature);
  });
});

describe("dynamic-size segmentation", () => {
  it("tiles large inputs and previews match the full run", async () => {
    const img = await decodeImage(read("coffee.png"));
    const full = await runSegmentation({ model: dynamic, input: img, params: { tile: 128 } });
    expect(full.tiling?.tileCount).toBeGreaterThan(4);
    expect([full.width, full.height]).toEqual([600, 400]);
    const region = { x: 250, y: 101, width: 77, height: 93 };
    const crop = await runSegmentation({
      model: dynamic,
      input: img,
      params: { tile: 128 },
      region,
    });
    expect(Array.from(crop.probability.data)).toEqual(
      Array.from(cut(full.probability.data, 600, region)),
    );
    const untiled = await runSegmentation({ model: dynamic, input: img, params: { tile: "off" } });
    let close = 0;
    for (let i = 0; i < untiled.probability.data.length; i++) {
      if (
        Math.abs((untiled.probability.data[i] as number) - (full.probability.data[i] as number)) <=
        257
      )
        close++;
    }
    expect(close / untiled.probability.data.length).toBeGreaterThan(0.99);
  });
});

describe("octaStyleTensor", () => {
  it("keeps a 256x256 gray input as is", () => {
    const data = new Uint8Array(256 * 256).map((_, i) => i % 256);
    const t = octaStyleTensor(
      { width: 256, height: 256, channels: 1, depth: 8, data },
      OCTA_SEGMENTATION_SPEC,
    );
    expect(t[0]).toBeCloseTo(-1, 6);
    expect(t[255]).toBeCloseTo(1, 6);
    expect(t[128]).toBeCloseTo((128 / 255 - 0.5) / 0.5, 6);
  });
});
