import { ImportError } from "./errors";
import type { DType } from "./tensor";

/**
 * An allow-list unpickler for PyTorch state_dicts. It interprets the pickle opcodes itself and
 * never calls anything named by the file: a GLOBAL outside the allow-list is refused at the
 * moment it is read, with its module and name in the message. The values it builds are plain
 * data (dicts, lists, tuples, numbers, strings) plus descriptors of storages and tensors.
 */

export type PyKey = string | number | bigint | boolean | null;
export type PyValue =
  | PyKey
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PyGlobal
  | StorageRef
  | TensorRef;

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly entries = new Map<PyKey, PyValue>();
  /** Instance attributes set by BUILD (an OrderedDict state_dict carries `_metadata`). */
  attributes: PyValue = null;
  constructor(readonly ordered: boolean) {}
}

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly location: string,
    readonly numel: number,
  ) {}
}

export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  DoubleStorage: "F64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

const ALLOWED_GLOBALS = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  ...Object.keys(STORAGE_DTYPES).map((name) => `torch.${name}`),
]);

export const allowedGlobals: readonly string[] = [...ALLOWED_GLOBALS];

class Mark {}
const MARK = new Mark();
type StackItem = PyValue | Mark;

const MAX_MEMO = 10_000_000;

export function unpickle(bytes: Uint8Array, source = "data.pkl"): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let opStart = 0;

  const fail = (message: string, code: "bad_pickle" | "truncated" = "bad_pickle"): never => {
    throw new ImportError(code, `${source} at byte ${opStart}: ${message}`);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.byteLength) {
      fail(
        `needs ${n} more bytes but the pickle ends at ${bytes.byteLength}: truncated`,
        "truncated",
      );
    }
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++] as number;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.byteLength)) fail(`length ${v} is larger than the pickle`, "truncated");
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("unterminated text line", "truncated");
    const text = new TextDecoder().decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const utf8 = (raw: Uint8Array): string => {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(raw);
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  const latin1 = (raw: Uint8Array): string => new TextDecoder("latin1").decode(raw);

  const pop = (): PyValue => {
    const item = stack.pop();
    if (item === undefined) return fail("stack underflow");
    if (item instanceof Mark) return fail("unexpected MARK on the stack");
    return item as PyValue;
  };
  const top = (): PyValue => {
    const item = stack[stack.length - 1];
    if (item === undefined || item instanceof Mark) return fail("stack underflow");
    return item as PyValue;
  };
  const popMark = (): PyValue[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] instanceof Mark) {
        const items = stack.splice(i) as StackItem[];
        items.shift();
        return items as PyValue[];
      }
    }
    return fail("no MARK on the stack");
  };
  const memoize = (index: number): void => {
    if (memo.size >= MAX_MEMO) fail("memo grows beyond its limit");
    memo.set(index, top());
  };
  const recall = (index: number): PyValue => {
    if (!memo.has(index)) fail(`memo entry ${index} was never stored`);
    return memo.get(index) as PyValue;
  };
  const global = (module: string, name: string): PyGlobal => {
    const qualified = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(qualified)) {
      throw new ImportError(
        "forbidden_global",
        `${source} names the global '${qualified}', which is not allowed: only a tensor state_dict is accepted (allowed: ${[...ALLOWED_GLOBALS].join(", ")}); nothing was executed`,
      );
    }
    return new PyGlobal(module, name);
  };
  const dictKey = (key: PyValue): PyKey => {
    if (
      key === null ||
      typeof key === "string" ||
      typeof key === "number" ||
      typeof key === "bigint" ||
      typeof key === "boolean"
    ) {
      return key;
    }
    if (key instanceof PyTuple) return JSON.stringify(key.items.map(String));
    return fail("dict key of an unsupported type");
  };
  const setItems = (target: PyValue, pairs: PyValue[]): void => {
    if (!(target instanceof PyDict)) fail("SETITEM(S) on something that is not a dict");
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      (target as PyDict).entries.set(dictKey(pairs[i] as PyValue), pairs[i + 1] as PyValue);
    }
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) fail("APPEND(S) on something that is not a list");
    (target as PyValue[]).push(...items);
  };
  const signedLong = (raw: Uint8Array): number | bigint => {
    if (raw.byteLength === 0) return 0;
    let value = 0n;
    for (let i = raw.byteLength - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i] as number);
    if ((raw[raw.byteLength - 1] as number) & 0x80) value -= 1n << BigInt(raw.byteLength * 8);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  };

  opStart = pos;
  if (bytes[0] !== 0x80) fail("does not start with a PROTO opcode (pickle protocol 2 or newer)");

  for (;;) {
    opStart = pos;
    const op = u8();
    switch (op) {
      case 0x80: {
        const protocol = u8();
        if (protocol < 2 || protocol > 5)
          fail(`pickle protocol ${protocol} is not supported (2-5)`);
        break;
      }
      case 0x95: // FRAME: framing is only a read-ahead hint
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} items on the stack`);
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(signedLong(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail("LONG4 with a negative length");
        stack.push(signedLong(take(n)));
        break;
      }
      case 0x47: {
        // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(take(u64())));
        break;
      case 0x54: {
        // BINSTRING
        const n = i32();
        if (n < 0) fail("BINSTRING with a negative length");
        stack.push(latin1(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict(false));
        break;
      case 0x64: {
        // DICT
        const dict = new PyDict(false);
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const pairs = popMark();
        if (pairs.length % 2 !== 0) fail("SETITEMS with an odd number of items");
        setItems(top(), pairs);
        break;
      }
      case 0x71: // BINPUT
        memoize(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoize(u32());
        break;
      case 0x94: // MEMOIZE
        memoize(memo.size);
        break;
      case 0x68: // BINGET
        stack.push(recall(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(recall(u32()));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          fail("STACK_GLOBAL with non-string module or name");
        }
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop(), fail));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(reduce(callable, args, fail));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        if (!(target instanceof PyDict)) fail("BUILD on an object other than an OrderedDict");
        (target as PyDict).attributes = state;
        break;
      }
      case 0x81: // NEWOBJ
      case 0x92: // NEWOBJ_EX
      case 0x69: // INST
      case 0x6f: // OBJ
        fail("object construction (NEWOBJ/INST/OBJ) is refused: a state_dict needs none");
        break;
      case 0x82:
      case 0x83:
      case 0x84:
        fail("copyreg extension codes (EXT1/2/4) are refused");
        break;
      case 0x97:
      case 0x98:
        fail("out-of-band buffers (protocol 5 NEXT_BUFFER/READONLY_BUFFER) are refused");
        break;
      default:
        fail(
          `opcode 0x${op.toString(16).padStart(2, "0")} (${JSON.stringify(String.fromCharCode(op))}) is not supported`,
        );
    }
  }
}

function persistentLoad(pid: PyValue, fail: (message: string) => never): StorageRef {
  if (!(pid instanceof PyTuple) || pid.items[0] !== "storage" || pid.items.length !== 5) {
    return fail("persistent id is not a ('storage', type, key, location, numel) tuple");
  }
  const [, type, key, location, count] = pid.items;
  if (!(type instanceof PyGlobal) || !(type.name in STORAGE_DTYPES) || type.module !== "torch") {
    return fail("persistent id does not name an allowed torch storage type");
  }
  if (typeof key !== "string" || !/^[A-Za-z0-9_.-]+$/.test(key)) {
    return fail(`storage key ${JSON.stringify(key)} is not a plain name`);
  }
  if (typeof location !== "string") return fail("storage location is not a string");
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
    return fail("storage element count is not a non-negative integer");
  }
  return new StorageRef(key, STORAGE_DTYPES[type.name] as DType, location, count);
}

function intList(value: PyValue, what: string, fail: (message: string) => never): number[] {
  if (!(value instanceof PyTuple)) return fail(`${what} is not a tuple`);
  return value.items.map((item) => {
    if (typeof item !== "number" || !Number.isSafeInteger(item) || item < 0) {
      return fail(`${what} holds ${String(item)}, not a non-negative integer`);
    }
    return item;
  });
}

function reduce(callable: PyValue, args: PyValue, fail: (message: string) => never): PyValue {
  if (!(callable instanceof PyGlobal)) return fail("REDUCE on something that is not a global");
  if (!(args instanceof PyTuple))
    return fail(`REDUCE of ${callable.qualifiedName} without a tuple`);
  switch (callable.qualifiedName) {
    case "collections.OrderedDict": {
      const dict = new PyDict(true);
      const [pairs] = args.items;
      if (args.items.length === 0) return dict;
      if (args.items.length !== 1 || !Array.isArray(pairs)) {
        return fail("OrderedDict called with arguments other than a list of pairs");
      }
      for (const pair of pairs) {
        if (!(pair instanceof PyTuple) || pair.items.length !== 2) {
          return fail("OrderedDict called with a list that holds something other than pairs");
        }
        const [key, value] = pair.items;
        if (typeof key !== "string") return fail("OrderedDict pair with a non-string key");
        dict.entries.set(key, value as PyValue);
      }
      return dict;
    }
    case "torch._utils._rebuild_tensor_v2": {
      const [storage, offset, size, stride] = args.items;
      if (args.items.length < 6 || args.items.length > 7) {
        return fail(
          `_rebuild_tensor_v2 called with ${args.items.length} arguments (6 or 7 expected)`,
        );
      }
      if (!(storage instanceof StorageRef)) return fail("_rebuild_tensor_v2 without a storage");
      if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
        return fail("_rebuild_tensor_v2 with a storage offset that is not a non-negative integer");
      }
      const shape = intList(size as PyValue, "tensor size", fail);
      const strides = intList(stride as PyValue, "tensor stride", fail);
      if (shape.length !== strides.length) {
        return fail(`tensor size has ${shape.length} dimensions but stride has ${strides.length}`);
      }
      return new TensorRef(storage, offset, shape, strides);
    }
    case "torch._utils._rebuild_parameter": {
      const [data] = args.items;
      if (!(data instanceof TensorRef)) return fail("_rebuild_parameter without a tensor");
      return data;
    }
    default:
      return fail(`${callable.qualifiedName} cannot be called`);
  }
}
