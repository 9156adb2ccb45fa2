import { readFixture } from "@studio/fixtures";
import { describe, expect, it } from "vitest";
import { rejectionOf } from "../testing-errors";
import { ImportError } from "./errors";
import { readPytorch } from "./pytorch";
import { toFloat32, type WeightTensor } from "./tensor";
import {
  PickleDict,
  PickleFloat,
  PickleGlobal,
  PickleReduce,
  Pickler,
  PickleTuple,
} from "./testing/pickler";
import { PytorchWriter, writePytorch } from "./testing/write-pytorch";
import { writeZip } from "./testing/zip-writer";

const catchImportError = (fn: () => Promise<unknown>) => rejectionOf(ImportError, fn);

function archiveWithPickle(pickle: Uint8Array): Uint8Array {
  return writeZip([
    { name: "archive/data.pkl", data: pickle },
    { name: "archive/version", data: new TextEncoder().encode("3\n") },
  ]);
}

const sample = {
  "conv.weight": { shape: [2, 1, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8] },
  "conv.bias": { shape: [2], values: [0.5, -0.5], dtype: "F16" as const },
  "bn.weight": { shape: [2], values: [1.5, 2.5], dtype: "BF16" as const },
  "bn.num_batches_tracked": { shape: [], values: [300000], dtype: "I64" as const },
};

describe("readPytorch", () => {
  // torch-real-*: written by torch.save / torch.jit.save (packages/core/scripts/reference/
  // make_fixtures.py); the files built by the test writer below are the deliberately odd ones.
  it("reads a torch.save state_dict with float32, float16, bfloat16 and int64 storages", async () => {
    const { tensors, wrapperKey } = await readPytorch(readFixture("torch-real-sample.pth"));
    expect(wrapperKey).toBeNull();
    expect([...tensors.keys()]).toEqual([
      "conv.weight",
      "conv.bias",
      "bn.weight",
      "bn.bias",
      "bn.running_mean",
      "bn.running_var",
      "bn.num_batches_tracked",
    ]);
    expect(tensors.get("conv.weight")?.shape).toEqual([2, 1, 2, 2]);
    expect([...toFloat32(need(tensors.get("conv.weight")))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(tensors.get("conv.bias")?.dtype).toBe("F16");
    expect([...toFloat32(need(tensors.get("conv.bias")))]).toEqual([0.5, -0.5]);
    expect([...toFloat32(need(tensors.get("bn.weight")))]).toEqual([1.5, 2.5]);
    expect(tensors.get("bn.num_batches_tracked")?.shape).toEqual([]);
    expect([...toFloat32(need(tensors.get("bn.num_batches_tracked")))]).toEqual([300000]);
  });

  it("reads an archive folder named after the saved file", async () => {
    const { tensors } = await readPytorch(
      writePytorch(sample, { archiveName: "unet_best_dice0.78" }),
    );
    expect(tensors.size).toBe(4);
  });

  it("unwraps checkpoint dicts, preferring params_ema over params", async () => {
    const real = await readPytorch(readFixture("torch-real-checkpoint.pth"));
    expect(real.wrapperKey).toBe("params_ema");
    expect(real.ignoredTopLevelKeys).toEqual(["epoch", "best_dice", "optimizer", "params"]);
    expect([...toFloat32(need(real.tensors.get("conv.weight")))]).toEqual([
      2, 4, 6, 8, 10, 12, 14, 16,
    ]);
    const extra: [string, PickleDict | number | PickleFloat][] = [
      ["epoch", 12],
      ["best_dice", new PickleFloat(0.78)],
      ["optimizer", new PickleDict([["lr", new PickleFloat(1e-4)]])],
    ];
    for (const wrapper of ["state_dict", "model_state_dict", "params_ema", "params"]) {
      const file = await readPytorch(writePytorch(sample, { wrapper, extra }));
      expect(file.wrapperKey).toBe(wrapper);
      expect(file.tensors.size).toBe(4);
      expect(file.ignoredTopLevelKeys).toEqual(["epoch", "best_dice", "optimizer"]);
    }
    const writer = new PytorchWriter();
    const both = new PickleDict([
      ["params", writer.stateDict({ a: { shape: [1], values: [1] } })],
      ["params_ema", writer.stateDict({ a: { shape: [1], values: [2] } })],
    ]);
    const file = await readPytorch(writer.finish(both));
    expect(file.wrapperKey).toBe("params_ema");
    expect([...toFloat32(need(file.tensors.get("a")))]).toEqual([2]);
  });

  it("gathers strided views (a transpose and an offset slice of a shared storage)", async () => {
    const writer = new PytorchWriter();
    const storage = [0, 1, 2, 3, 4, 5];
    const root = writer.stateDict({
      // A [2,3] storage viewed as its [3,2] transpose.
      t: { shape: [3, 2], stride: [1, 3], values: storage },
      // The second row of the same layout.
      row: { shape: [3], stride: [1], offset: 3, values: storage },
    });
    const { tensors } = await readPytorch(writer.finish(root));
    expect([...toFloat32(need(tensors.get("t")))]).toEqual([0, 3, 1, 4, 2, 5]);
    expect([...toFloat32(need(tensors.get("row")))]).toEqual([3, 4, 5]);
  });

  it("rejects a view that reaches past its storage", async () => {
    const error = await catchImportError(() =>
      readPytorch(
        writePytorch({ w: { shape: [2, 2], stride: [2, 1], offset: 3, values: [1, 2, 3, 4] } }),
      ),
    );
    expect(error.code).toBe("bad_tensor");
    expect(error.message).toMatch(
      /tensor 'w' \[2, 2\] with offset 3 and stride \[2, 1\] reaches element 6 of storage '0', which has 4/,
    );
  });

  it("refuses a pickle that names os.system and executes nothing", async () => {
    // The classic payload: GLOBAL os.system, ('echo pwned',), REDUCE.
    const evil = new Pickler().dump(
      new PickleReduce(new PickleGlobal("os", "system"), new PickleTuple(["echo pwned"])),
    );
    const error = await catchImportError(() => readPytorch(archiveWithPickle(evil)));
    expect(error.code).toBe("forbidden_global");
    expect(error.message).toMatch(/names the global 'os\.system', which is not allowed/);
  });

  it("refuses builtins.eval reached through STACK_GLOBAL (protocol 4)", async () => {
    const text = (s: string) => [0x8c, s.length, ...new TextEncoder().encode(s)];
    const pickle = Uint8Array.from([
      0x80,
      4,
      ...text("builtins"),
      0x94,
      ...text("eval"),
      0x94,
      0x93,
      0x94,
      ...text("1+1"),
      0x85,
      0x52,
      0x2e,
    ]);
    const error = await catchImportError(() => readPytorch(archiveWithPickle(pickle)));
    expect(error.code).toBe("forbidden_global");
    expect(error.message).toMatch(/'builtins\.eval'/);
  });

  it("reports a truncated archive precisely", async () => {
    const file = writePytorch(sample);
    const cut = await catchImportError(() => readPytorch(file.subarray(0, file.byteLength - 40)));
    expect(cut.code).toBe("truncated");
    expect(cut.message).toMatch(/no end-of-central-directory record: the file is truncated/);
  });

  it("reports an archive whose data was cut out", async () => {
    const file = writePytorch(sample);
    const view = new DataView(file.buffer, file.byteOffset);
    // Point the directory past the end, as a file with a lost middle would.
    const eocd = file.byteLength - 22;
    view.setUint32(eocd + 16, file.byteLength + 100, true);
    const error = await catchImportError(() => readPytorch(file));
    expect(error.code).toBe("truncated");
    expect(error.message).toMatch(/central directory .* lies beyond the end/);
  });

  it("reports a storage whose bytes are short", async () => {
    const file = writeZip([
      { name: "archive/data.pkl", data: unzipPickle(writePytorch(sample)) },
      { name: "archive/data/0", data: new Uint8Array(20) },
      { name: "archive/data/1", data: new Uint8Array(4) },
      { name: "archive/data/2", data: new Uint8Array(4) },
      { name: "archive/data/3", data: new Uint8Array(8) },
    ]);
    const error = await catchImportError(() => readPytorch(file));
    expect(error.code).toBe("bad_tensor");
    expect(error.message).toMatch(
      /storage '0' \(F32, 8 elements\) should be 32 bytes, archive\/data\/0 has 20/,
    );
  });

  it("reports non-tensor payloads precisely", async () => {
    const list = await catchImportError(() =>
      readPytorch(archiveWithPickle(new Pickler().dump([1, 2, 3]))),
    );
    expect(list.code).toBe("not_a_state_dict");
    expect(list.message).toMatch(/the file holds a list of 3 items, not a state_dict/);

    const meta = await catchImportError(() =>
      readPytorch(
        archiveWithPickle(
          new Pickler().dump(
            new PickleDict([
              ["epoch", 3],
              ["arch", "unet"],
            ]),
          ),
        ),
      ),
    );
    expect(meta.code).toBe("not_a_state_dict");
    expect(meta.message).toMatch(/no tensors found: .*epoch \(an int\), arch \(a string\)/);

    const nested = await catchImportError(() =>
      readPytorch(writePytorch({ w: { shape: [1], values: [1] } }, { wrapper: "generator" })),
    );
    expect(nested.message).toMatch(/the tensors are under the checkpoint key 'generator'/);

    const writer = new PytorchWriter();
    const mixed = writer.stateDict({ w: { shape: [1], values: [1] } });
    mixed.entries.push(["note", "hello"]);
    const stray = await catchImportError(() => readPytorch(writer.finish(mixed)));
    expect(stray.code).toBe("not_a_state_dict");
    expect(stray.message).toMatch(/state_dict entry 'note' is a string, not a tensor/);
  });

  it("rejects the legacy format, TorchScript archives and unsafe entry names", async () => {
    const legacy = readFixture("torch-real-legacy.pth");
    expect((await catchImportError(() => readPytorch(legacy))).message).toMatch(/legacy/);
    const script = readFixture("torch-real-script.pt");
    expect((await catchImportError(() => readPytorch(script))).message).toMatch(/TorchScript/);
    const evil = writeZip([
      { name: "archive/data.pkl", data: new Pickler().dump(null) },
      { name: "archive/../../etc/passwd", data: new Uint8Array(1) },
    ]);
    const error = await catchImportError(() => readPytorch(evil));
    expect(error.code).toBe("bad_archive");
    expect(error.message).toMatch(/path traversal in archive: "archive\/..\/..\/etc\/passwd"/);
  });

  it("enforces the size cap and detects corrupted bytes", async () => {
    const file = writePytorch(sample);
    expect((await catchImportError(() => readPytorch(file, { maxBytes: 100 }))).code).toBe(
      "too_large",
    );
    const corrupt = file.slice();
    const at = findBytes(corrupt, new TextEncoder().encode("archive/data/0"));
    // Flip a byte inside the first storage's data (which follows its aligned local header).
    const index = Math.ceil((at + 14 + 4) / 64) * 64 + 1;
    corrupt[index] = (corrupt[index] as number) ^ 0xff;
    const error = await catchImportError(() => readPytorch(corrupt));
    expect(error.message).toMatch(/'archive\/data\/0' fails its CRC-32 check/);
  });
});

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function unzipPickle(file: Uint8Array): Uint8Array {
  // data.pkl is the first entry: its data starts at the first 64-byte boundary after its header.
  const view = new DataView(file.buffer, file.byteOffset);
  const size = view.getUint32(18, true);
  const start = 30 + view.getUint16(26, true) + view.getUint16(28, true);
  return file.slice(start, start + size);
}

function need(tensor: WeightTensor | undefined): WeightTensor {
  if (!tensor) throw new Error("tensor not found");
  return tensor;
}
