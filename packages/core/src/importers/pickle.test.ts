import { describe, expect, it } from "vitest";
import type { ImportError } from "./errors";
import { PyDict, PyTuple, StorageRef, TensorRef, unpickle } from "./pickle";
import { Pickler } from "./testing/pickler";
import { PytorchWriter } from "./testing/write-pytorch";

/**
 * data.pkl as CPython 3.11's pickle (protocol 2) writes it for
 *   OrderedDict(conv.weight: float32 [2,1,1,1], conv.bias: float16 [2], bn.num_batches_tracked: int64 [])
 * with _metadata {"", "conv", "bn"} -> {"version": 1}, produced with torch.save's own scheme:
 * Tensor.__reduce_ex__ -> (torch._utils._rebuild_tensor_v2, (storage, offset, tuple(size),
 * stride, False, OrderedDict())) and persistent_id(storage) -> ("storage", torch.<T>Storage,
 * key, "cpu", numel), using stand-in torch modules (no PyTorch was available).
 */
const CPYTHON_STATE_DICT = Buffer.from(
  "800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710128580b000000636f6e762e776569676874710263746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71032828580700000073746f72616765710463746f7263680a466c6f617453746f726167650a71055801000000307106580300000063707571074b02747108514b00284b024b014b014b01747109284b014b014b014b0174710a8968002952710b74710c52710d5809000000636f6e762e62696173710e68032828680463746f7263680a48616c6653746f726167650a710f580100000031711068074b02747111514b004b028571124b01857113896800295271147471155271165816000000626e2e6e756d5f626174636865735f747261636b6564711768032828680463746f7263680a4c6f6e6753746f726167650a7118580100000032711968074b0174711a514b0029298968002952711b74711c52711d757d711e58090000005f6d65746164617461711f68002952712028580000000071217d7122580700000076657273696f6e71234b01735804000000636f6e7671247d712568234b01735802000000626e71267d712768234b01737573622e",
  "hex",
);

describe("unpickle", () => {
  it("reads CPython's torch.save byte stream", () => {
    const root = unpickle(new Uint8Array(CPYTHON_STATE_DICT));
    expect(root).toBeInstanceOf(PyDict);
    const dict = root as PyDict;
    expect(dict.ordered).toBe(true);
    expect([...dict.entries.keys()]).toEqual([
      "conv.weight",
      "conv.bias",
      "bn.num_batches_tracked",
    ]);
    expect(dict.entries.get("conv.weight")).toEqual(
      new TensorRef(new StorageRef("0", "F32", "cpu", 2), 0, [2, 1, 1, 1], [1, 1, 1, 1]),
    );
    expect(dict.entries.get("conv.bias")).toEqual(
      new TensorRef(new StorageRef("1", "F16", "cpu", 2), 0, [2], [1]),
    );
    expect(dict.entries.get("bn.num_batches_tracked")).toEqual(
      new TensorRef(new StorageRef("2", "I64", "cpu", 1), 0, [], []),
    );
    const attributes = dict.attributes as PyDict;
    const metadata = attributes.entries.get("_metadata") as PyDict;
    expect([...metadata.entries.keys()]).toEqual(["", "conv", "bn"]);
  });

  it("the test writer reproduces CPython's bytes exactly", () => {
    const writer = new PytorchWriter();
    const root = writer.stateDict({
      "conv.weight": { shape: [2, 1, 1, 1], values: [1, 2] },
      "conv.bias": { shape: [2], values: [1, 2], dtype: "F16" },
      "bn.num_batches_tracked": { shape: [], values: [5], dtype: "I64" },
    });
    expect(Buffer.from(new Pickler().dump(root)).toString("hex")).toBe(
      CPYTHON_STATE_DICT.toString("hex"),
    );
  });

  it("reads plain values: ints of every width, floats, strings, bytes, lists, tuples, None, bools", () => {
    const bytes = Uint8Array.from([
      0x80,
      2,
      0x5d,
      0x28,
      0x4b,
      7, // BININT1
      0x4d,
      0x34,
      0x12, // BININT2
      0x4a,
      0xff,
      0xff,
      0xff,
      0xff, // BININT -1
      0x8a,
      5,
      0,
      0,
      0,
      0,
      1, // LONG1 2**32
      0x47,
      0x3f,
      0xf8,
      0,
      0,
      0,
      0,
      0,
      0, // BINFLOAT 1.5
      0x55,
      2,
      0x68,
      0x69, // SHORT_BINSTRING "hi"
      0x43,
      2,
      1,
      2, // SHORT_BINBYTES
      0x4e,
      0x88,
      0x89, // None True False
      0x29,
      0x4b,
      1,
      0x85, // () (1,)
      0x65,
      0x2e,
    ]);
    expect(unpickle(bytes)).toEqual([
      7,
      0x1234,
      -1,
      2 ** 32,
      1.5,
      "hi",
      Uint8Array.from([1, 2]),
      null,
      true,
      false,
      new PyTuple([]),
      new PyTuple([1]),
    ]);
  });

  it("names the offending opcode, offset and truncation", () => {
    const error = (bytes: number[]) => {
      try {
        unpickle(Uint8Array.from(bytes));
      } catch (e) {
        return e as ImportError;
      }
      throw new Error("expected an error");
    };
    expect(error([0x80, 2, 0x81]).message).toBe(
      "data.pkl at byte 2: object construction (NEWOBJ/INST/OBJ) is refused: a state_dict needs none",
    );
    expect(error([0x80, 2, 0x58, 9, 0, 0, 0, 0x61]).code).toBe("truncated");
    expect(error([0x80, 1]).message).toMatch(/pickle protocol 1 is not supported/);
    expect(error([0x80, 2, 0x49]).message).toMatch(/opcode 0x49 \("I"\) is not supported/);
    expect(error([0x80, 2, 0x68, 3]).message).toMatch(/memo entry 3 was never stored/);
    expect(error([0x80, 2, 0x63, ...Buffer.from("builtins\ngetattr\n")]).message).toMatch(
      /'builtins\.getattr', which is not allowed/,
    );
    // A storage class is allowed as a persistent-id tag but can never be called.
    expect(
      error([0x80, 2, 0x63, ...Buffer.from("torch\nFloatStorage\n"), 0x29, 0x52]).message,
    ).toMatch(/torch\.FloatStorage cannot be called/);
  });
});
