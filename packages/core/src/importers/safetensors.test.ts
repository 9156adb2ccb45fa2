import { describe, expect, it } from "vitest";
import { ImportError } from "./errors";
import { readSafetensors } from "./safetensors";
import { toFloat32, type WeightTensor } from "./tensor";
import { encodeValues } from "./testing/encode";
import { assembleSafetensors, writeSafetensors } from "./testing/write-safetensors";

function expectImportError(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe(code);
    expect((error as ImportError).message).toMatch(message);
    return;
  }
  throw new Error("expected an ImportError");
}

describe("readSafetensors", () => {
  it("reads tensors of every float dtype and converts them to float32", () => {
    const file = writeSafetensors(
      {
        "a.weight": { shape: [2, 3], values: [1, -2, 3.5, 0.25, 1e-3, -7] },
        "a.half": { shape: [2], values: [0.5, -1.25], dtype: "F16" },
        "a.bf16": { shape: [2], values: [3, -0.375], dtype: "BF16" },
        "a.count": { shape: [], values: [42], dtype: "I64" },
        "a.double": { shape: [1], values: [0.1], dtype: "F64" },
      },
      { format: "pt" },
    );
    const { tensors, metadata } = readSafetensors(file);
    expect(metadata).toEqual({ format: "pt" });
    expect([...tensors.keys()]).toEqual(["a.weight", "a.half", "a.bf16", "a.count", "a.double"]);
    const weight = tensors.get("a.weight");
    expect(weight?.shape).toEqual([2, 3]);
    expect([...toFloat32(need(weight))]).toEqual([
      ...new Float32Array([1, -2, 3.5, 0.25, 1e-3, -7]),
    ]);
    expect([...toFloat32(need(tensors.get("a.half")))]).toEqual([0.5, -1.25]);
    expect([...toFloat32(need(tensors.get("a.bf16")))]).toEqual([3, -0.375]);
    expect([...toFloat32(need(tensors.get("a.count")))]).toEqual([42]);
    expect(tensors.get("a.count")?.shape).toEqual([]);
    expect(toFloat32(need(tensors.get("a.double")))[0]).toBeCloseTo(0.1, 7);
  });

  it("rejects a file shorter than the length prefix", () => {
    expectImportError(() => readSafetensors(new Uint8Array(5)), "truncated", /too short/);
  });

  it("rejects a header length beyond the file", () => {
    const file = writeSafetensors({ x: { shape: [1], values: [1] } });
    expectImportError(
      () => readSafetensors(file.subarray(0, 20)),
      "truncated",
      /header says \d+ bytes of JSON but the file has only 12/,
    );
  });

  it("rejects a header that is not JSON or not an object", () => {
    expectImportError(
      () => readSafetensors(assembleSafetensors("{nope")),
      "bad_header",
      /not valid JSON/,
    );
    expectImportError(
      () => readSafetensors(assembleSafetensors("[1,2]")),
      "bad_header",
      /start with '\{'/,
    );
  });

  it("rejects an unknown dtype naming the tensor", () => {
    const header = JSON.stringify({ w: { dtype: "C64", shape: [1], data_offsets: [0, 8] } });
    expectImportError(
      () => readSafetensors(assembleSafetensors(header, [new Uint8Array(8)])),
      "bad_tensor",
      /tensor 'w': unsupported dtype "C64"/,
    );
  });

  it("rejects a shape that does not match the byte range", () => {
    const header = JSON.stringify({ w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 12] } });
    expectImportError(
      () => readSafetensors(assembleSafetensors(header, [new Uint8Array(12)])),
      "bad_tensor",
      /tensor 'w': dtype F32 with shape \[2, 2\] needs 16 bytes but data_offsets \[0, 12\] span 12/,
    );
  });

  it("rejects overlapping tensors naming both", () => {
    const header = JSON.stringify({
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
    });
    expectImportError(
      () => readSafetensors(assembleSafetensors(header, [new Uint8Array(12)])),
      "overlap",
      /tensors 'a' \[0, 8\) and 'b' \[4, 12\) overlap/,
    );
  });

  it("rejects holes and trailing bytes", () => {
    const hole = JSON.stringify({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } });
    expectImportError(
      () => readSafetensors(assembleSafetensors(hole, [new Uint8Array(8)])),
      "bad_tensor",
      /bytes \[0, 4\) of the data belong to no tensor/,
    );
    const trailing = JSON.stringify({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } });
    expectImportError(
      () => readSafetensors(assembleSafetensors(trailing, [new Uint8Array(8)])),
      "bad_tensor",
      /4 trailing bytes/,
    );
  });

  it("reports a truncated data section", () => {
    const file = writeSafetensors({
      a: { shape: [4], values: [1, 2, 3, 4] },
      b: { shape: [4], values: [1, 2, 3, 4] },
    });
    expectImportError(
      () => readSafetensors(file.subarray(0, file.byteLength - 3)),
      "truncated",
      /tensor 'b': data_offsets \[16, 32\] reach past the end of the data \(29 bytes\)/,
    );
  });

  it("enforces the size cap", () => {
    const file = writeSafetensors({ a: { shape: [16], values: new Array(16).fill(1) } });
    expectImportError(
      () => readSafetensors(file, { maxBytes: 64 }),
      "too_large",
      /larger than the cap of 64 bytes/,
    );
  });

  it("keeps half data bit-exact before conversion", () => {
    const file = writeSafetensors({ h: { shape: [3], values: [1, 65504, -0.0001], dtype: "F16" } });
    const tensor = need(readSafetensors(file).tensors.get("h"));
    expect([...tensor.data]).toEqual([...encodeValues([1, 65504, -0.0001], "F16")]);
    const values = toFloat32(tensor);
    expect(values[1]).toBe(65504);
    expect(values[2]).toBeCloseTo(-0.0001, 6);
  });
});

function need(tensor: WeightTensor | undefined): WeightTensor {
  if (!tensor) throw new Error("tensor not found");
  return tensor;
}
