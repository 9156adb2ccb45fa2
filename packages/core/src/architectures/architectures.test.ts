import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { importWeights } from "../importers/import-weights";
import { writeSafetensors } from "../importers/testing/write-safetensors";
import { inspectOnnx } from "../onnx/inspect";
import { maxDifference } from "../testing-numbers";
import {
  ARCHITECTURE_IDS,
  describeArchitecture,
  getArchitecture,
  parameterCount,
} from "./registry";
import { createRrdb } from "./rrdb";
import { createSrvgg } from "./srvgg";
import { randomStateDict, rrdbReference, srvggReference, unetReference } from "./testing/models";
import { type Image, image } from "./testing/reference";
import type { Architecture } from "./types";
import { createUNet } from "./unet";

function randomImage(c: number, h: number, w: number, seed: number): Image {
  let state = seed;
  const data = Array.from({ length: c * h * w }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  });
  return image(c, h, w, data);
}

async function run(onnx: Uint8Array, inputs: Image[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const first = inputs[0] as Image;
    const data = new Float32Array(inputs.length * first.data.length);
    for (const [i, x] of inputs.entries()) data.set(x.data, i * first.data.length);
    const feeds = {
      input: new ort.Tensor("float32", data, [inputs.length, first.c, first.h, first.w]),
    };
    const result = await session.run(feeds);
    const out = result[session.outputNames[0] as string] as ort.Tensor;
    const all = out.data as Float32Array;
    const per = all.length / inputs.length;
    return inputs.map((_, i) => all.subarray(i * per, (i + 1) * per));
  } finally {
    await session.release();
  }
}

type Case = {
  label: string;
  architecture: Architecture;
  inputs: Image[];
  reference: (x: Image, w: ReturnType<typeof randomStateDict>) => Image;
};

const cases: Case[] = [
  {
    label: "U-Net (base 4, 16x16, batch of 2)",
    architecture: createUNet({ id: "unet-small", base: 4, size: 16 }),
    inputs: [randomImage(1, 16, 16, 3), randomImage(1, 16, 16, 4)],
    reference: (x, w) => unetReference(x, w, 4, 1),
  },
  {
    label: "SRVGGNetCompact (feat 8, 3 convs, x4, 7x5 input)",
    architecture: createSrvgg({ id: "srvgg-small", name: "small", numFeat: 8, numConv: 3 }),
    inputs: [randomImage(3, 7, 5, 5)],
    reference: (x, w) => srvggReference(x, w, 8, 3, 4, 3),
  },
  {
    label: "RRDBNet (feat 8, 2 blocks, grow 4, 5x6 input)",
    architecture: createRrdb({
      id: "rrdb-small",
      name: "small",
      numFeat: 8,
      numBlock: 2,
      numGrowCh: 4,
    }),
    inputs: [randomImage(3, 5, 6, 6)],
    reference: (x, w) => rrdbReference(x, w, 8, 2, 4, 3),
  },
];

// The safetensors files here are written by the test writer (no safetensors library for Debian's
// Python); torch.save files, and float16 / bfloat16 ones, are real and compared with PyTorch
// itself in pytorch-reference.test.ts.
describe("imported architectures match an independent reference", () => {
  for (const testCase of cases) {
    it(`${testCase.label} from safetensors`, async () => {
      const weights = randomStateDict(testCase.architecture, 7);
      const tensors = Object.fromEntries(
        Object.entries(weights).map(([key, t]) => [
          key,
          {
            ...t,
            dtype: key.endsWith("num_batches_tracked") ? ("I64" as const) : ("F32" as const),
          },
        ]),
      );
      const { onnx, report } = await importWeights({
        bytes: writeSafetensors(tensors, { format: "pt" }),
        fileName: "model.safetensors",
        architecture: testCase.architecture,
      });
      expect(report.problems).toEqual([]);
      expect(report.verdict).toBe("accepted");
      expect(onnx).not.toBeNull();
      const outputs = await run(onnx as Uint8Array, testCase.inputs);
      testCase.inputs.forEach((x, i) => {
        expect(
          maxDifference(outputs[i] as Float32Array, testCase.reference(x, weights).data),
        ).toBeLessThan(1e-4);
      });
    });
  }
});

describe("architecture registry", () => {
  it("lists the registered architectures with task kinds, specs and parameter counts", () => {
    expect(ARCHITECTURE_IDS).toEqual([
      "octa-unet",
      "realesr-general-x4v3",
      "realesr-animevideov3",
      "realesrgan-x4plus",
      "realesrgan-x4plus-anime-6b",
    ]);
    const unet = getArchitecture("octa-unet");
    expect(unet.taskKind).toBe("segmentation");
    expect(unet.defaultSpec.kind).toBe("segmentation");
    expect(unet.input.shape).toEqual(["N", 1, 256, 256]);
    expect(unet.parameters.find((p) => p.name === "enc3.0.weight")?.shape).toEqual([
      256, 128, 3, 3,
    ]);
    expect(unet.parameters.find((p) => p.name === "upconv4.weight")?.shape).toEqual([
      1024, 512, 2, 2,
    ]);
    expect(unet.parameters.find((p) => p.name === "dec1.0.weight")?.shape).toEqual([64, 128, 3, 3]);
    expect(unet.parameters.at(-1)).toEqual({ name: "final_conv.bias", shape: [1], required: true });
    // Sum over blocks of 9*cout*(cin+cout) + 10*cout, upconvs 4*cin*cout + cout, final 65.
    expect(parameterCount(unet)).toBe(31_054_145);
    // README: 136 tensors, 118 required (num_batches_tracked optional).
    expect(unet.parameters.length).toBe(136);
    expect(unet.parameters.filter((p) => p.required).length).toBe(118);
    expect(parameterCount(getArchitecture("realesr-animevideov3"))).toBe(621_424);
    expect(parameterCount(getArchitecture("realesrgan-x4plus-anime-6b"))).toBe(4_467_779);

    const general = getArchitecture("realesr-general-x4v3");
    expect(general.taskKind).toBe("super_resolution");
    expect(general.parameters.at(-1)?.name).toBe("body.66.bias");
    expect(parameterCount(general)).toBe(1_213_296);
    expect(getArchitecture("realesr-animevideov3").parameters.at(-1)?.name).toBe("body.34.bias");
    // The published size of RealESRGAN_x4plus / ESRGAN (RRDBNet 23 blocks).
    expect(parameterCount(getArchitecture("realesrgan-x4plus"))).toBe(16_697_987);
    expect(() => getArchitecture("resnet50")).toThrow(/unknown architecture 'resnet50'/);
    const summary = describeArchitecture(unet);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    expect(summary).toMatchObject({
      id: "octa-unet",
      taskKind: "segmentation",
      parameterCount: 31_054_145,
      requiredKeys: 118,
    });
  });

  it("builds the full-size OCTA U-Net: [N,1,256,256] in, logits [N,1,256,256] out", async () => {
    const architecture = getArchitecture("octa-unet");
    const weights = new Map(
      Object.entries(randomStateDict(architecture, 3)).map(([k, t]) => [
        k,
        Float32Array.from(t.values),
      ]),
    );
    const onnx = architecture.build(weights);
    const info = inspectOnnx(onnx);
    expect(info.inputs).toEqual([{ name: "input", dtype: "float32", shape: ["N", 1, 256, 256] }]);
    expect(info.outputs).toEqual([{ name: "logits", dtype: "float32", shape: ["N", 1, 256, 256] }]);
    // Folded BatchNorm: only conv, transposed conv and final_conv tensors remain.
    // 5888 BatchNorm channels x 4 folded tensors = 23552 fewer.
    expect(info.parameterCount).toBe(31_030_593);
    expect(info.opTypes.BatchNormalization).toBeUndefined();
    const session = await ort.InferenceSession.create(onnx);
    const out = await session.run({
      input: new ort.Tensor("float32", new Float32Array(256 * 256).fill(0.1), [1, 1, 256, 256]),
    });
    expect(out.logits?.dims).toEqual([1, 1, 256, 256]);
    await session.release();
  });
});
