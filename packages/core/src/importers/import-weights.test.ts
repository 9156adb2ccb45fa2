import { readFixture } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { randomStateDict } from "../architectures/testing/models";
import { createUNet } from "../architectures/unet";
import { importWeights } from "./import-weights";
import { PickleGlobal, PickleReduce, Pickler, PickleTuple } from "./testing/pickler";
import { type PtTensor, writePytorch } from "./testing/write-pytorch";
import { writeSafetensors } from "./testing/write-safetensors";
import { writeZip } from "./testing/zip-writer";

// A narrow U-Net keeps these tests fast; key names are those of the full OCTA U-Net. The files
// of the accepted cases are real torch.save files (make_fixtures.py); the test writer builds
// only the deliberately broken ones.
const architecture = createUNet({ id: "octa-unet", base: 4, size: 16 });
const stateDict = (): Record<string, PtTensor> =>
  Object.fromEntries(
    Object.entries(randomStateDict(architecture, 5)).map(([key, t]) => [
      key,
      { ...t, dtype: key.endsWith("num_batches_tracked") ? ("I64" as const) : ("F32" as const) },
    ]),
  );

describe("importWeights reports", () => {
  it("checks a file against a named architecture: a narrower U-Net is refused for octa-unet", async () => {
    const { onnx, report } = await importWeights({
      bytes: readFixture("torch-ref-unet-bn-d2-b4.pth"),
      fileName: "unet.pth",
      architecture: "octa-unet",
    });
    expect(report.verdict).toBe("rejected");
    expect(report.shapeMismatches[0]).toEqual({
      key: "enc1.0.weight",
      expectedShape: [64, 1, 3, 3],
      actualShape: [4, 1, 3, 3],
    });
    expect(report.detected?.id).toBe("unet-d2-b4-in1-out1");
    expect(onnx).toBeNull();
  });

  it("accepts a complete state_dict and builds a runnable model", async () => {
    // enc1, enc2, bottleneck, dec2, dec1 (two convs and two BatchNorms each), 2 upconvs, final_conv.
    const { onnx, report } = await importWeights({
      bytes: readFixture("torch-ref-unet-bn-d2-b4.pth"),
      fileName: "unet.pth",
    });
    expect(report.verdict).toBe("accepted");
    expect(report).toMatchObject({
      format: "pytorch",
      error: null,
      missing: [],
      unexpected: [],
      shapeMismatches: [],
      dtypeMismatches: [],
      wrapperKey: null,
      strippedPrefix: null,
    });
    expect(report.matched).toBe(5 * 14 + 2 * 2 + 2);
    expect(report.dtypes).toEqual({ F32: 5 * 12 + 2 * 2 + 2, I64: 5 * 2 });
    expect(report.summary).toMatch(
      /^accepted as unet-d2-b4-in1-out1 \(U-Net \(depth 2, base 4, 1 -> 1 channels\)\): 76 tensors, \d+ parameters \(the input size is fixed/,
    );
    const session = await ort.InferenceSession.create(onnx as Uint8Array);
    expect(session.inputNames).toEqual(["input"]);
    expect(session.outputNames).toEqual(["logits"]);
    await session.release();
  });

  it("rejects a missing final_conv.bias, naming it", async () => {
    const tensors = stateDict();
    delete tensors["final_conv.bias"];
    const { onnx, report } = await importWeights({
      bytes: writePytorch(tensors),
      fileName: "unet.pth",
      architecture,
    });
    expect(onnx).toBeNull();
    expect(report.verdict).toBe("rejected");
    expect(report.missing).toEqual([{ key: "final_conv.bias", expectedShape: [1] }]);
    expect(report.problems).toEqual(["missing key 'final_conv.bias' (expected shape [1])"]);
    expect(report.summary).toBe(
      "rejected for octa-unet: missing key 'final_conv.bias' (expected shape [1])",
    );
  });

  it("rejects a wrong shape in enc3, naming the key and both shapes", async () => {
    const tensors = stateDict();
    tensors["enc3.0.weight"] = { shape: [16, 8, 5, 5], values: new Array(16 * 8 * 25).fill(0) };
    const { onnx, report } = await importWeights({
      bytes: writeSafetensors(tensors),
      fileName: "unet.safetensors",
      architecture,
    });
    expect(onnx).toBeNull();
    expect(report.format).toBe("safetensors");
    expect(report.shapeMismatches).toEqual([
      { key: "enc3.0.weight", expectedShape: [16, 8, 3, 3], actualShape: [16, 8, 5, 5] },
    ]);
    expect(report.problems).toEqual([
      "shape mismatch for 'enc3.0.weight': expected [16, 8, 3, 3], file has [16, 8, 5, 5]",
    ]);
  });

  it("lists an extra key and still accepts (non-strict loading)", async () => {
    const tensors = stateDict();
    tensors["aux_head.weight"] = { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] };
    const { onnx, report } = await importWeights({
      bytes: writePytorch(tensors),
      fileName: "unet.pt",
      architecture,
    });
    expect(onnx).not.toBeNull();
    expect(report.verdict).toBe("accepted");
    expect(report.unexpected).toEqual([{ key: "aux_head.weight", shape: [2, 3], dtype: "F32" }]);
    expect(report.warnings).toContain("1 unexpected key(s) ignored: aux_head.weight");
  });

  it("accepts a DataParallel checkpoint wrapped under model_state_dict", async () => {
    // torch.save({"epoch": 40, "model_state_dict": nn.DataParallel(model).state_dict()}).
    const { report } = await importWeights({
      bytes: readFixture("torch-ref-srvgg-x2-dataparallel.pth"),
      fileName: "checkpoint.pth",
      architecture: "srvgg-x2-nf4-nc1-relu",
    });
    expect(report.verdict).toBe("accepted");
    expect(report.wrapperKey).toBe("model_state_dict");
    expect(report.strippedPrefix).toBe("module.");
    expect(report.warnings).toEqual([
      "state_dict taken from checkpoint key 'model_state_dict'; ignored: epoch",
      "stripped the 'module.' prefix (DataParallel) from 6 keys",
    ]);
  });

  it("rejects a pickle that names os.system", async () => {
    const evil = new Pickler().dump(
      new PickleReduce(new PickleGlobal("os", "system"), new PickleTuple(["rm -rf /"])),
    );
    const { onnx, report } = await importWeights({
      bytes: writeZip([{ name: "archive/data.pkl", data: evil }]),
      fileName: "evil.pth",
      architecture,
    });
    expect(onnx).toBeNull();
    expect(report.error?.code).toBe("forbidden_global");
    expect(report.summary).toMatch(
      /rejected for octa-unet: archive\/data.pkl names the global 'os\.system', which is not allowed/,
    );
  });

  it("rejects a truncated archive", async () => {
    const bytes = writePytorch(stateDict());
    const { report } = await importWeights({
      bytes: bytes.subarray(0, bytes.byteLength >> 1),
      fileName: "cut.pth",
      architecture,
    });
    expect(report.error).toEqual({
      code: "truncated",
      message: `zip archive (${bytes.byteLength >> 1} bytes) has no end-of-central-directory record: the file is truncated`,
    });
  });

  it("rejects a non-tensor payload", async () => {
    const bytes = writeZip([
      { name: "archive/data.pkl", data: new Pickler().dump(["not", "weights"]) },
    ]);
    const { report } = await importWeights({ bytes, fileName: "list.pth", architecture });
    expect(report.error?.code).toBe("not_a_state_dict");
    expect(report.error?.message).toMatch(/the file holds a list of 2 items, not a state_dict/);
  });

  it("rejects integer tensors where floats are needed, NaN weights, and unknown files", async () => {
    const ints = stateDict();
    ints["final_conv.weight"] = { shape: [1, 4, 1, 1], values: [1, 2, 3, 4], dtype: "I64" };
    expect(
      (await importWeights({ bytes: writePytorch(ints), fileName: "a.pth", architecture })).report
        .problems,
    ).toEqual(["'final_conv.weight' is stored as I64, a floating-point tensor is needed"]);
    const nan = stateDict();
    nan["dec1.3.bias"] = { shape: [4], values: [0, Number.NaN, 0, 0] };
    expect(
      (
        await importWeights({
          bytes: writeSafetensors(nan),
          fileName: "a.safetensors",
          architecture,
        })
      ).report.problems,
    ).toEqual(["'dec1.3.bias' contains NaN or infinite values"]);
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0]);
    expect(
      (await importWeights({ bytes: png, fileName: "a.pth", architecture })).report.error?.code,
    ).toBe("unknown_format");
    expect(
      (await importWeights({ bytes: png, fileName: "a.onnx", architecture })).report.error?.message,
    ).toBe("'a.onnx' is not a .pth, .pt or .safetensors file");
  });

  it("enforces the size cap", async () => {
    const { report } = await importWeights({
      bytes: writePytorch(stateDict()),
      fileName: "unet.pth",
      architecture,
      maxBytes: 1024,
    });
    expect(report.error?.code).toBe("too_large");
  });
});
