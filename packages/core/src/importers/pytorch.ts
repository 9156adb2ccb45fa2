import { checkSize, DEFAULT_MAX_BYTES, ImportError } from "./errors";
import { PyDict, type PyValue, TensorRef, unpickle } from "./pickle";
import { DTYPE_SIZE, formatShape, numel, type StateDict, type WeightTensor } from "./tensor";
import { readZip, type ZipArchive } from "./zip";

const MAX_PICKLE_BYTES = 32 * 1024 * 1024;

/** Keys under which training code commonly nests the model's state_dict, in order of preference. */
export const WRAPPER_KEYS = ["state_dict", "model_state_dict", "params_ema", "params"] as const;

export interface PytorchFile {
  tensors: StateDict;
  /** The checkpoint key the state_dict was taken from, when it was wrapped. */
  wrapperKey: string | null;
  /** Top-level keys of the checkpoint that were not used (epoch, optimizer, ...). */
  ignoredTopLevelKeys: string[];
}

export interface ReadOptions {
  maxBytes?: number;
}

/**
 * Reads a `.pth`/`.pt` written by torch.save (the zip format of PyTorch 1.6 and later):
 * `<name>/data.pkl` is interpreted by the allow-list unpickler and each tensor's bytes come from
 * `<name>/data/<storage key>`.
 */
export async function readPytorch(
  bytes: Uint8Array,
  options: ReadOptions = {},
): Promise<PytorchFile> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  checkSize(bytes.byteLength, maxBytes, "PyTorch file");
  if (bytes[0] === 0x80) {
    throw new ImportError(
      "unsupported",
      "this is the legacy (pre-1.6, non-zip) torch.save format; load it and save it again with a current PyTorch (torch.save(model.state_dict(), path))",
    );
  }
  const archive = await readZip(bytes, { maxUncompressedBytes: maxBytes });
  try {
    return await readArchive(archive);
  } finally {
    archive.close();
  }
}

async function readArchive(archive: ZipArchive): Promise<PytorchFile> {
  const prefix = findPrefix(archive);
  const byteorder = archive.entries.get(`${prefix}/byteorder`);
  if (byteorder && new TextDecoder().decode(await archive.read(byteorder)).trim() !== "little") {
    throw new ImportError("unsupported", "the archive stores big-endian tensors");
  }
  const pickleEntry = archive.entries.get(`${prefix}/data.pkl`);
  if (!pickleEntry) throw new ImportError("bad_archive", `archive has no ${prefix}/data.pkl`);
  // A state_dict's pickle is kilobytes (tensor bytes live in data/); a huge one is an attack.
  if (pickleEntry.size > MAX_PICKLE_BYTES) {
    throw new ImportError(
      "too_large",
      `${prefix}/data.pkl is ${pickleEntry.size} bytes (limit ${MAX_PICKLE_BYTES}); a state_dict's pickle holds only names and shapes`,
    );
  }
  const root = unpickle(await archive.read(pickleEntry), `${prefix}/data.pkl`);

  const { dict, wrapperKey } = locateStateDict(root);
  const ignoredTopLevelKeys =
    wrapperKey && root instanceof PyDict
      ? [...root.entries.keys()].map(String).filter((key) => key !== wrapperKey)
      : [];
  const refs: Array<[string, TensorRef]> = [];
  for (const [key, value] of dict.entries) {
    const name = String(key);
    if (!(value instanceof TensorRef)) {
      throw new ImportError(
        "not_a_state_dict",
        `state_dict entry '${name}' is ${describe(value)}, not a tensor`,
      );
    }
    refs.push([name, value]);
  }
  const storages = await StorageCache.load(archive, prefix, refs);
  const tensors: StateDict = new Map();
  for (const [name, ref] of refs) tensors.set(name, storages.materialize(name, ref));
  return { tensors, wrapperKey, ignoredTopLevelKeys };
}

function findPrefix(archive: ZipArchive): string {
  const names = [...archive.entries.keys()];
  if (names.some((name) => name.endsWith("constants.pkl") || /(^|\/)code\//.test(name))) {
    throw new ImportError(
      "not_a_state_dict",
      "this is a TorchScript archive (torch.jit.save), not a state_dict; save model.state_dict() with torch.save instead",
    );
  }
  const pickles = names.filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new ImportError(
      "bad_archive",
      pickles.length === 0
        ? "the zip archive has no <name>/data.pkl entry: not a torch.save file"
        : `the zip archive has ${pickles.length} data.pkl entries`,
    );
  }
  const prefix = (pickles[0] as string).slice(0, -"/data.pkl".length);
  const stray = names.find((name) => !name.startsWith(`${prefix}/`));
  if (stray) {
    throw new ImportError("bad_archive", `zip entry '${stray}' is outside the '${prefix}/' folder`);
  }
  return prefix;
}

function locateStateDict(root: PyValue): { dict: PyDict; wrapperKey: string | null } {
  if (!(root instanceof PyDict)) {
    throw new ImportError(
      "not_a_state_dict",
      `the file holds ${describe(root)}, not a state_dict (a dict of tensors); save model.state_dict()`,
    );
  }
  const values = [...root.entries.values()];
  if (values.length > 0 && values.every((value) => value instanceof TensorRef)) {
    return { dict: root, wrapperKey: null };
  }
  for (const key of WRAPPER_KEYS) {
    const inner = root.entries.get(key);
    if (inner instanceof PyDict) return { dict: inner, wrapperKey: key };
  }
  if (values.some((value) => value instanceof TensorRef)) {
    // A state_dict with a stray non-tensor entry: name the first such entry precisely.
    return { dict: root, wrapperKey: null };
  }
  const nested = [...root.entries.entries()].find(
    ([, value]) =>
      value instanceof PyDict &&
      value.entries.size > 0 &&
      [...value.entries.values()].every((v) => v instanceof TensorRef),
  );
  if (nested) {
    throw new ImportError(
      "not_a_state_dict",
      `the tensors are under the checkpoint key '${String(nested[0])}', which is not one of ${WRAPPER_KEYS.join(", ")}; save checkpoint['${String(nested[0])}'] on its own`,
    );
  }
  const keys = [...root.entries.entries()]
    .slice(0, 10)
    .map(([key, value]) => `${String(key)} (${describe(value)})`)
    .join(", ");
  throw new ImportError(
    "not_a_state_dict",
    `no tensors found: the file holds a dict with ${root.entries.size} keys [${keys}] and none of the wrapper keys ${WRAPPER_KEYS.join(", ")}`,
  );
}

export function describe(value: PyValue | undefined): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return Number.isInteger(value) ? "an int" : "a float";
  if (typeof value === "bigint") return "an int";
  if (typeof value === "boolean") return "a bool";
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  if (value instanceof TensorRef) return `a tensor ${formatShape(value.shape)}`;
  if (value instanceof PyDict) return `a dict of ${value.entries.size} items`;
  return value.constructor.name === "PyTuple" ? "a tuple" : "an object";
}

class StorageCache {
  private constructor(
    private readonly loaded: Map<string, Uint8Array>,
    private readonly prefix: string,
  ) {}

  /** Reads each storage the tensors refer to once (zip reads are asynchronous). */
  static async load(
    archive: ZipArchive,
    prefix: string,
    refs: Array<[string, TensorRef]>,
  ): Promise<StorageCache> {
    const loaded = new Map<string, Uint8Array>();
    for (const [name, { storage }] of refs) {
      if (loaded.has(storage.key)) continue;
      const path = `${prefix}/data/${storage.key}`;
      const entry = archive.entries.get(path);
      if (!entry) {
        throw new ImportError(
          "bad_archive",
          `tensor '${name}' refers to storage '${storage.key}' but the archive has no ${path}`,
        );
      }
      loaded.set(storage.key, await archive.read(entry));
    }
    return new StorageCache(loaded, prefix);
  }

  materialize(name: string, ref: TensorRef): WeightTensor {
    const { storage, shape, stride, offset } = ref;
    const size = DTYPE_SIZE[storage.dtype];
    const data = this.storageBytes(ref);
    const count = numel(shape);
    if (count === 0) return { dtype: storage.dtype, shape, data: new Uint8Array(0) };
    let last = offset;
    for (let d = 0; d < shape.length; d++)
      last += ((shape[d] as number) - 1) * (stride[d] as number);
    if (last >= storage.numel) {
      throw new ImportError(
        "bad_tensor",
        `tensor '${name}' ${formatShape(shape)} with offset ${offset} and stride ${formatShape(stride)} reaches element ${last} of storage '${storage.key}', which has ${storage.numel}`,
      );
    }
    if (isContiguous(shape, stride)) {
      return {
        dtype: storage.dtype,
        shape,
        data: data.subarray(offset * size, (offset + count) * size),
      };
    }
    // A strided view (a transpose or a slice saved without .contiguous()): gather it row-major.
    const out = new Uint8Array(count * size);
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < count; i++) {
      let element = offset;
      for (let d = 0; d < shape.length; d++)
        element += (index[d] as number) * (stride[d] as number);
      out.set(data.subarray(element * size, (element + 1) * size), i * size);
      for (let d = shape.length - 1; d >= 0; d--) {
        index[d] = (index[d] as number) + 1;
        if ((index[d] as number) < (shape[d] as number)) break;
        index[d] = 0;
      }
    }
    return { dtype: storage.dtype, shape, data: out };
  }

  private storageBytes(ref: TensorRef): Uint8Array {
    const { storage } = ref;
    const path = `${this.prefix}/data/${storage.key}`;
    const data = this.loaded.get(storage.key) as Uint8Array;
    // Checked for every reference: two tensors may name the same storage with different types.
    const expected = storage.numel * DTYPE_SIZE[storage.dtype];
    if (data.byteLength !== expected) {
      throw new ImportError(
        "bad_tensor",
        `storage '${storage.key}' (${storage.dtype}, ${storage.numel} elements) should be ${expected} bytes, ${path} has ${data.byteLength}`,
      );
    }
    return data;
  }
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if ((shape[d] as number) !== 1 && stride[d] !== expected) return false;
    expected *= shape[d] as number;
  }
  return true;
}
