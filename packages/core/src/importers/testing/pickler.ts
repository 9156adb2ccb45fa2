/**
 * A protocol-2 pickler that emits the opcode sequence CPython's pickle.Pickler writes for the
 * objects torch.save serialises: memoised strings and globals, BININT1/2/BININT/LONG1 ints,
 * EMPTY_TUPLE/TUPLE1-3/MARK..TUPLE tuples, dicts in SETITEM/SETITEMS batches of 1000 and
 * OrderedDict as GLOBAL + EMPTY_TUPLE + REDUCE (+ BUILD of its __dict__).
 */
export type PickleValue =
  | null
  | boolean
  | number
  | string
  | PickleFloat
  | PickleTuple
  | PickleValue[]
  | PickleDict
  | PickleGlobal
  | PickleReduce
  | PicklePersistent;

export class PickleFloat {
  constructor(readonly value: number) {}
}
export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}
export class PickleDict {
  constructor(
    readonly entries: [PickleValue, PickleValue][],
    readonly ordered = false,
    readonly attributes: PickleDict | null = null,
  ) {}
}
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}
export class PickleReduce {
  constructor(
    readonly callable: PickleGlobal,
    readonly args: PickleTuple,
  ) {}
}
export class PicklePersistent {
  constructor(readonly id: PickleTuple) {}
}

export class Pickler {
  private readonly out: number[] = [];
  private readonly memo = new Map<unknown, number>();
  private readonly strings = new Map<string, number>();
  private readonly globals = new Map<string, number>();

  dump(value: PickleValue): Uint8Array {
    this.out.push(0x80, 2);
    this.save(value);
    this.out.push(0x2e);
    return Uint8Array.from(this.out);
  }

  private bytes(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) this.out.push(data[i] as number);
  }

  private u32(value: number): void {
    this.out.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }

  private put(): number {
    const index = this.memo.size + this.strings.size + this.globals.size;
    if (index < 256) this.out.push(0x71, index);
    else {
      this.out.push(0x72);
      this.u32(index);
    }
    return index;
  }

  private get(index: number): void {
    if (index < 256) this.out.push(0x68, index);
    else {
      this.out.push(0x6a);
      this.u32(index);
    }
  }

  private save(value: PickleValue): void {
    if (value === null) this.out.push(0x4e);
    else if (value === true) this.out.push(0x88);
    else if (value === false) this.out.push(0x89);
    else if (typeof value === "number") this.saveInt(value);
    else if (typeof value === "string") this.saveString(value);
    else if (value instanceof PickleFloat) {
      const buffer = new DataView(new ArrayBuffer(8));
      buffer.setFloat64(0, value.value, false);
      this.out.push(0x47);
      this.bytes(new Uint8Array(buffer.buffer));
    } else if (value instanceof PickleTuple) this.saveTuple(value);
    else if (Array.isArray(value)) this.saveList(value);
    else if (value instanceof PickleDict) this.saveDict(value);
    else if (value instanceof PickleGlobal) this.saveGlobal(value);
    else if (value instanceof PickleReduce) {
      this.saveGlobal(value.callable);
      this.saveTuple(value.args);
      this.out.push(0x52);
      this.memo.set(value, this.put());
    } else if (value instanceof PicklePersistent) {
      this.saveTuple(value.id);
      this.out.push(0x51);
    }
  }

  private saveInt(value: number): void {
    if (!Number.isInteger(value)) throw new Error(`use PickleFloat for ${value}`);
    if (value >= 0 && value <= 0xff) this.out.push(0x4b, value);
    else if (value >= 0 && value <= 0xffff) this.out.push(0x4d, value & 0xff, value >> 8);
    else if (value >= -0x80000000 && value <= 0x7fffffff) {
      this.out.push(0x4a);
      this.u32(value >>> 0);
    } else {
      let big = BigInt(value);
      const encoded: number[] = [];
      // Two's complement little-endian with the fewest bytes that keep the sign (encode_long).
      for (;;) {
        encoded.push(Number(big & 0xffn));
        big >>= 8n;
        const signBit = (encoded[encoded.length - 1] as number) & 0x80;
        if ((big === 0n && !signBit) || (big === -1n && signBit)) break;
      }
      this.out.push(0x8a, encoded.length, ...encoded);
    }
  }

  private saveString(value: string): void {
    const known = this.strings.get(value);
    if (known !== undefined) {
      this.get(known);
      return;
    }
    const encoded = new TextEncoder().encode(value);
    this.out.push(0x58);
    this.u32(encoded.byteLength);
    this.bytes(encoded);
    const index = this.memo.size + this.strings.size + this.globals.size;
    this.strings.set(value, index);
    this.emitPut(index);
  }

  private emitPut(index: number): void {
    if (index < 256) this.out.push(0x71, index);
    else {
      this.out.push(0x72);
      this.u32(index);
    }
  }

  private saveGlobal(value: PickleGlobal): void {
    const key = `${value.module}\n${value.name}`;
    const known = this.globals.get(key);
    if (known !== undefined) {
      this.get(known);
      return;
    }
    this.out.push(0x63);
    this.bytes(new TextEncoder().encode(`${key}\n`));
    const index = this.memo.size + this.strings.size + this.globals.size;
    this.globals.set(key, index);
    this.emitPut(index);
  }

  private saveTuple(value: PickleTuple): void {
    const n = value.items.length;
    if (n === 0) {
      this.out.push(0x29);
      return;
    }
    if (n > 3) this.out.push(0x28);
    for (const item of value.items) this.save(item);
    this.out.push(n === 1 ? 0x85 : n === 2 ? 0x86 : n === 3 ? 0x87 : 0x74);
    this.memo.set(value, this.put());
  }

  private saveList(value: PickleValue[]): void {
    this.out.push(0x5d);
    this.memo.set(value, this.put());
    for (let start = 0; start < value.length; start += 1000) {
      const batch = value.slice(start, start + 1000);
      if (batch.length === 1) {
        this.save(batch[0] as PickleValue);
        this.out.push(0x61);
      } else {
        this.out.push(0x28);
        for (const item of batch) this.save(item);
        this.out.push(0x65);
      }
    }
  }

  private saveDict(value: PickleDict): void {
    if (value.ordered) {
      this.saveGlobal(new PickleGlobal("collections", "OrderedDict"));
      this.out.push(0x29, 0x52);
    } else {
      this.out.push(0x7d);
    }
    this.memo.set(value, this.put());
    for (let start = 0; start < value.entries.length; start += 1000) {
      const batch = value.entries.slice(start, start + 1000);
      if (batch.length === 1) {
        const [key, item] = batch[0] as [PickleValue, PickleValue];
        this.save(key);
        this.save(item);
        this.out.push(0x73);
      } else {
        this.out.push(0x28);
        for (const [key, item] of batch) {
          this.save(key);
          this.save(item);
        }
        this.out.push(0x75);
      }
    }
    if (value.attributes) {
      this.save(value.attributes);
      this.out.push(0x62);
    }
  }
}
