// Test-only: the full-size OCTA U-Net as the files a PyTorch user would upload, built quickly.
// The core test writers encode value by value, which for 31M half floats takes a minute on a
// loaded machine; here the tensors are encoded once into float16 bytes and both containers
// (torch.save zip + pickle, safetensors) are assembled from those bytes with the same core
// test primitives (Pickler, writeZip, assembleSafetensors).
import { getArchitecture } from "../../architectures";
import { float32ToFloat16Bits } from "../../onnx";
import {
  PickleDict,
  PickleGlobal,
  PicklePersistent,
  PickleReduce,
  Pickler,
  PickleTuple,
  type PickleValue,
} from "./pickler";
import { assembleSafetensors } from "./write-safetensors";
import { writeZip } from "./zip-writer";

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

const STORAGE = { F16: "HalfStorage", I64: "LongStorage" } as const;
const ITEM_BYTES = { F16: 2, I64: 8 } as const;

function contiguousStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) {
    stride[d] = (stride[d + 1] as number) * (shape[d + 1] as number);
  }
  return stride;
}

/** torch.save(state_dict): a stored zip with archive/data.pkl and one storage per tensor. */
export function toPth(tensors: EncodedStateDict): Uint8Array {
  const storages: { name: string; data: Uint8Array }[] = [];
  const entries: [PickleValue, PickleValue][] = [];
  for (const [key, t] of Object.entries(tensors)) {
    const storageKey = String(storages.length);
    storages.push({ name: `archive/data/${storageKey}`, data: t.data });
    const pid = new PickleTuple([
      "storage",
      new PickleGlobal("torch", STORAGE[t.dtype]),
      storageKey,
      "cpu",
      t.data.byteLength / ITEM_BYTES[t.dtype],
    ]);
    entries.push([
      key,
      new PickleReduce(
        new PickleGlobal("torch._utils", "_rebuild_tensor_v2"),
        new PickleTuple([
          new PicklePersistent(pid),
          0,
          new PickleTuple(t.shape),
          new PickleTuple(contiguousStride(t.shape)),
          false,
          new PickleDict([], true),
        ]),
      ),
    ]);
  }
  const text = (s: string) => new TextEncoder().encode(s);
  return writeZip([
    { name: "archive/data.pkl", data: new Pickler().dump(new PickleDict(entries, true)) },
    { name: "archive/byteorder", data: text("little") },
    ...storages,
    { name: "archive/version", data: text("3\n") },
  ]);
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
