// Test-only: the full-size OCTA U-Net as the files a PyTorch user would upload, built quickly.
// The core test writers encode value by value, which for 31M half floats takes a minute on a
// loaded machine; here the tensors are encoded once into float16 bytes and both containers
// (torch.save zip + pickle, safetensors) are assembled from those bytes with the same core
// test writers (PytorchWriter, assembleSafetensors).
import { getArchitecture } from "../../architectures";
import { float32ToFloat16Bits } from "../../onnx";
import { PickleDict, type PickleValue } from "./pickler";
import { PytorchWriter } from "./write-pytorch";
import { assembleSafetensors } from "./write-safetensors";

export interface EncodedTensor {
  shape: number[];
  dtype: "F16" | "I64";
  data: Uint8Array;
}
export type EncodedStateDict = Record<string, EncodedTensor>;

/**
 * Deterministic small weights for every key of the `octa-unet` architecture, in float16
 * (num_batches_tracked as int64), scaled so activations stay in a sane range.
 */
export function octaUnetStateDict(seed = 7): EncodedStateDict {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const out: EncodedStateDict = {};
  for (const p of getArchitecture("octa-unet").parameters) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.name.endsWith("num_batches_tracked")) {
      const data = new Uint8Array(8 * n);
      new DataView(data.buffer).setBigInt64(0, 100n, true);
      out[p.name] = { shape: p.shape, dtype: "I64", data };
      continue;
    }
    const halves = new Uint16Array(n);
    const fanIn = p.shape.length === 4 ? n / (p.shape[0] as number) : 1;
    const convScale = (2 * Math.sqrt(3)) / Math.sqrt(fanIn);
    for (let i = 0; i < n; i++) {
      let v: number;
      if (p.name.endsWith("running_var")) v = 0.5 + random();
      else if (p.shape.length === 4) v = (random() - 0.5) * convScale;
      else if (p.name.endsWith(".weight")) v = 0.8 + random() * 0.4;
      else v = (random() - 0.5) * 0.2;
      halves[i] = float32ToFloat16Bits(v);
    }
    // Uint16Array is little-endian on every platform Node supports here (x64/arm64).
    out[p.name] = { shape: p.shape, dtype: "F16", data: new Uint8Array(halves.buffer) };
  }
  return out;
}

/** torch.save(state_dict): a zip with archive/data.pkl and one storage per tensor. */
export function toPth(tensors: EncodedStateDict): Uint8Array {
  const writer = new PytorchWriter();
  const entries = Object.entries(tensors).map(([key, t]): [PickleValue, PickleValue] => [
    key,
    writer.encodedTensor(t),
  ]);
  return writer.finish(new PickleDict(entries, true));
}

/** The same tensors as a .safetensors file. */
export function toSafetensors(tensors: EncodedStateDict): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [key, t] of Object.entries(tensors)) {
    header[key] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  return assembleSafetensors(
    JSON.stringify(header),
    Object.values(tensors).map((t) => t.data),
  );
}
