import { DTYPE_SIZE, type DType } from "../tensor";
import { encodeValues } from "./encode";
import {
  PickleDict,
  PickleGlobal,
  PicklePersistent,
  PickleReduce,
  Pickler,
  PickleTuple,
  type PickleValue,
} from "./pickler";
import { writeZip } from "./zip-writer";

const STORAGE_CLASS: Partial<Record<DType, string>> = {
  F32: "FloatStorage",
  F16: "HalfStorage",
  BF16: "BFloat16Storage",
  I64: "LongStorage",
  F64: "DoubleStorage",
  I32: "IntStorage",
};

export interface PtTensor {
  shape: number[];
  /** Row-major values of the tensor, or of its whole storage when `stride` is given. */
  values: ArrayLike<number>;
  dtype?: DType;
  stride?: number[];
  offset?: number;
}

function contiguousStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) {
    stride[d] = (stride[d + 1] as number) * (shape[d + 1] as number);
  }
  return stride;
}

/**
 * Writes files the way torch.save (PyTorch >= 1.6, pickle protocol 2) does: a stored zip with
 * `<archive>/data.pkl`, one `<archive>/data/<key>` per storage and the version records.
 */
export class PytorchWriter {
  private readonly storages: { key: string; data: Uint8Array }[] = [];

  tensor(t: PtTensor): PickleReduce {
    const dtype = t.dtype ?? "F32";
    return this.encodedTensor({ ...t, dtype, data: encodeValues(t.values, dtype) });
  }

  /** A tensor whose storage is already encoded: `data` holds its little-endian bytes. */
  encodedTensor(t: {
    shape: number[];
    dtype: DType;
    data: Uint8Array;
    stride?: number[];
    offset?: number;
  }): PickleReduce {
    const storageClass = STORAGE_CLASS[t.dtype];
    if (!storageClass) throw new Error(`no storage class for ${t.dtype}`);
    const key = String(this.storages.length);
    this.storages.push({ key, data: t.data });
    const pid = new PickleTuple([
      "storage",
      new PickleGlobal("torch", storageClass),
      key,
      "cpu",
      t.data.byteLength / DTYPE_SIZE[t.dtype],
    ]);
    return new PickleReduce(
      new PickleGlobal("torch._utils", "_rebuild_tensor_v2"),
      new PickleTuple([
        new PicklePersistent(pid),
        t.offset ?? 0,
        new PickleTuple(t.shape),
        new PickleTuple(t.stride ?? contiguousStride(t.shape)),
        false,
        new PickleDict([], true),
      ]),
    );
  }

  /** An OrderedDict state_dict with the `_metadata` attribute nn.Module.state_dict() sets. */
  stateDict(tensors: Record<string, PtTensor>): PickleDict {
    const modules = new Set<string>([""]);
    for (const name of Object.keys(tensors)) {
      const parts = name.split(".");
      for (let i = 1; i < parts.length; i++) modules.add(parts.slice(0, i).join("."));
    }
    const metadata = new PickleDict(
      [...modules].map((m) => [m, new PickleDict([["version", 1]])] as [PickleValue, PickleValue]),
      true,
    );
    return new PickleDict(
      Object.entries(tensors).map(([name, t]) => [name, this.tensor(t)]),
      true,
      new PickleDict([["_metadata", metadata]]),
    );
  }

  finish(root: PickleValue, archiveName = "archive"): Uint8Array {
    const text = (s: string) => new TextEncoder().encode(s);
    return writeZip([
      { name: `${archiveName}/data.pkl`, data: new Pickler().dump(root) },
      { name: `${archiveName}/.format_version`, data: text("1") },
      { name: `${archiveName}/.storage_alignment`, data: text("64") },
      { name: `${archiveName}/byteorder`, data: text("little") },
      ...this.storages.map((s) => ({ name: `${archiveName}/data/${s.key}`, data: s.data })),
      { name: `${archiveName}/version`, data: text("3\n") },
      { name: `${archiveName}/.data/serialization_id`, data: text("1234567890") },
    ]);
  }
}

/** torch.save(state_dict) in one call, optionally wrapped in a checkpoint dict. */
export function writePytorch(
  tensors: Record<string, PtTensor>,
  options: { wrapper?: string; extra?: [string, PickleValue][]; archiveName?: string } = {},
): Uint8Array {
  const writer = new PytorchWriter();
  const stateDict = writer.stateDict(tensors);
  const root = options.wrapper
    ? new PickleDict([...(options.extra ?? []), [options.wrapper, stateDict]])
    : stateDict;
  return writer.finish(root, options.archiveName);
}
