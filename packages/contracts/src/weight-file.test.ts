// The head check on bytes built here by each format's rules; real files (torch.save archives,
// exported ONNX models, the NCNN pair, images) go through the upload route's tests in
// packages/api (http/files/upload-weight-head.test.ts).
import { describe, expect, it } from "vitest";
import {
  acceptsWeightFile,
  checkWeightHead,
  identifyWeightHead,
  isLegacyTorchSave,
  WEIGHT_HEAD_BYTES,
  type WeightFileKind,
  weightMismatchMessage,
} from "./weight-file";

const bytes = (...parts: Array<number[] | string | Uint8Array>) => {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "string") out.push(...new TextEncoder().encode(part));
    else out.push(...part);
  }
  return Uint8Array.from(out);
};

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
const len = (field: number, payload: Uint8Array | number[]) => [
  (field << 3) | 2,
  ...varint(payload.length),
  ...payload,
];

/** ModelProto as protobuf writers lay it out: ir_version, producer, graph (node ...), opset. */
function onnxModel(graphBytes = 10_000): Uint8Array {
  const graph = [...len(1, [...len(4, [...new TextEncoder().encode("Conv")])])];
  while (graph.length < graphBytes) graph.push(...len(2, new Uint8Array(100).fill(0x61)));
  return bytes(
    [0x08, 0x08],
    len(2, [...new TextEncoder().encode("pytorch")]),
    len(3, [...new TextEncoder().encode("2.1.0")]),
    len(7, graph),
    len(8, [0x10, 17]),
  );
}

const head = (file: Uint8Array) => file.subarray(0, WEIGHT_HEAD_BYTES);

describe("identifyWeightHead", () => {
  it("recognises an ONNX model from its first fields, in the head or whole", () => {
    const model = onnxModel();
    expect(identifyWeightHead(head(model), model.length)).toBe("onnx");
    expect(identifyWeightHead(head(model))).toBe("onnx");
    const small = onnxModel(50);
    expect(small.length).toBeLessThan(WEIGHT_HEAD_BYTES);
    expect(identifyWeightHead(small, small.length)).toBe("onnx");
  });

  it("does not take protobuf-like bytes that break ModelProto's rules for ONNX", () => {
    const model = onnxModel();
    // A graph longer than the file says it is: cut short or not a model.
    expect(identifyWeightHead(head(model), 2000)).toBe("unknown");
    // Field 9 is not a ModelProto field.
    expect(identifyWeightHead(bytes([0x4a, 0x02, 0x01, 0x02]), 4)).toBe("unknown");
    // ir_version 0 is no version.
    expect(identifyWeightHead(bytes([0x08, 0x00], len(7, len(1, [1]))), 6)).toBe("unknown");
    // The whole file read and no graph in it.
    const noGraph = bytes([0x08, 0x08], len(2, [0x61, 0x62]));
    expect(identifyWeightHead(noGraph, noGraph.length)).toBe("unknown");
    // A graph whose first field is not a GraphProto field.
    const badGraph = bytes([0x08, 0x08], len(7, [0x18, 0x01]));
    expect(identifyWeightHead(badGraph, badGraph.length)).toBe("unknown");
  });

  it("recognises PyTorch archives and pickles, safetensors and NCNN params", () => {
    const zipEntry = (name: string) => {
      const header = new Uint8Array(30);
      header.set([0x50, 0x4b, 0x03, 0x04]);
      header[26] = name.length;
      return bytes(header, name, new Uint8Array(64));
    };
    expect(identifyWeightHead(zipEntry("archive/data.pkl"))).toBe("pytorch_zip");
    expect(identifyWeightHead(zipEntry("data.pkl"))).toBe("pytorch_zip");
    expect(identifyWeightHead(zipEntry("model.param"))).toBe("zip");

    const legacy = bytes(
      [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19],
      ".",
    );
    expect(identifyWeightHead(legacy)).toBe("pytorch_pickle");
    expect(isLegacyTorchSave(legacy)).toBe(true);
    expect(identifyWeightHead(bytes([0x80, 0x04, 0x95, 0x10]))).toBe("pytorch_pickle");
    expect(isLegacyTorchSave(bytes([0x80, 0x04, 0x95, 0x10]))).toBe(false);

    const json = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const lengthBytes = [json.length, 0, 0, 0, 0, 0, 0, 0];
    const safetensors = bytes(lengthBytes, json, [0, 0, 0, 0]);
    expect(identifyWeightHead(safetensors, safetensors.length)).toBe("safetensors");
    // A header longer than the file is not safetensors.
    expect(identifyWeightHead(safetensors, 20)).not.toBe("safetensors");

    expect(identifyWeightHead(bytes("7767517\n40 41\nInput  input 0 1 data\n"))).toBe("ncnn_param");
    expect(identifyWeightHead(bytes("7767517\r\n3 3\n"))).toBe("ncnn_param");
    expect(identifyWeightHead(bytes("77675170 not a param"))).toBe("text");
  });

  it("names what people pick by mistake", () => {
    const cases: Array<[Uint8Array, WeightFileKind]> = [
      [bytes([0x89], "PNG\r\n\u001a\n", new Uint8Array(8)), "png"],
      [bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), "jpeg"],
      [bytes("GIF89a", [1, 0, 1, 0]), "gif"],
      [bytes("RIFF", [0, 0, 0, 0], "WEBPVP8 "), "webp"],
      [bytes([0x1f, 0x8b, 0x08, 0]), "gzip"],
      [bytes("%PDF-1.7\n"), "pdf"],
      [bytes("  <!doctype html><html>"), "html"],
      [bytes('{"model": "resnet"}'), "json"],
      [bytes("weights: see the readme\n"), "text"],
      [new Uint8Array(0), "empty"],
      [bytes([0x47, 0x6b, 0x30, 0x01, 0x10, 0xaa, 0x0d, 0xaa]), "unknown"],
    ];
    for (const [file, kind] of cases) expect(identifyWeightHead(file), kind).toBe(kind);
  });
});

describe("checkWeightHead", () => {
  it("takes each format in its slot and refuses the rest, naming both", () => {
    const model = onnxModel();
    expect(checkWeightHead(head(model), "onnx", model.length)).toEqual({ ok: true, found: "onnx" });
    expect(checkWeightHead(head(model), "state_dict", model.length)).toEqual({
      ok: false,
      found: "onnx",
      expected: "state_dict",
    });
    const png = bytes([0x89], "PNG\r\n\u001a\n");
    expect(checkWeightHead(png, "onnx")).toEqual({ ok: false, found: "png", expected: "onnx" });
  });

  it("takes raw numbers as an NCNN .bin, but not a .param or an image in its place", () => {
    const raw = bytes([0x47, 0x6b, 0x30, 0x01, 0x10, 0xaa, 0x0d, 0xaa]);
    expect(checkWeightHead(raw, "ncnn_bin").ok).toBe(true);
    expect(checkWeightHead(raw, "ncnn_param").ok).toBe(false);
    expect(checkWeightHead(bytes("7767517\n1 1\n"), "ncnn_bin")).toMatchObject({
      ok: false,
      found: "ncnn_param",
    });
    expect(acceptsWeightFile("ncnn_bin", "png")).toBe(false);
    expect(acceptsWeightFile("ncnn_zip", "zip")).toBe(true);
    expect(acceptsWeightFile("state_dict", "safetensors")).toBe(true);
    expect(acceptsWeightFile("state_dict", "pytorch_pickle")).toBe(true);
  });
});

it("words a refusal as what the file looks like and what is accepted", () => {
  expect(weightMismatchMessage("png", "onnx")).toBe(
    "The file looks like a PNG image; this upload takes an ONNX model (.onnx).",
  );
  expect(weightMismatchMessage("pytorch_zip", "onnx")).toMatch(
    /^The file looks like a PyTorch checkpoint .*; this upload takes an ONNX model \(\.onnx\)\. Upload it as that format instead\.$/,
  );
  expect(weightMismatchMessage("empty", "state_dict")).toMatch(/^The file is empty; /);
});
