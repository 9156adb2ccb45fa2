import { float16ArrayToFloat32 } from "../onnx/float16";
import { NcnnFormatError } from "./param";

// NCNN weight blobs: "tagged" blobs (convolution weights) start with a 4-byte flag that says
// how the data is stored; "raw" blobs (biases, PReLU slopes) are plain float32.
const TAG_FLOAT16 = 0x01306b47;
const TAG_INT8 = 0x000d4b38;
const TAG_RAW_FLOAT32 = 0x0002c056;

function align4(n: number): number {
  return (n + 3) & ~3;
}

export class NcnnBinReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  private take(length: number, what: string): Uint8Array {
    if (this.offset + length > this.bytes.byteLength) {
      throw new NcnnFormatError(
        `.bin ends early: ${what} needs ${length} bytes at offset ${this.offset}, only ${this.remaining} left (the .bin does not match the .param)`,
      );
    }
    // copy so the float views are aligned regardless of the source offset
    // (Buffer#slice would return a view, so copy explicitly)
    const out = new Uint8Array(length);
    out.set(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return out;
  }

  /** `count` plain float32 values (biases, slopes). */
  readRaw(count: number, what: string): Float32Array {
    return new Float32Array(this.take(count * 4, what).buffer);
  }

  /** A tagged weight blob of `count` values, decoded to float32. */
  readTagged(count: number, what: string): { data: Float32Array; storage: string } {
    if (this.remaining < 4) this.take(4, `${what} tag`);
    const tag = this.view.getUint32(this.offset, true);
    const flagSum =
      (this.bytes[this.offset] as number) +
      (this.bytes[this.offset + 1] as number) +
      (this.bytes[this.offset + 2] as number) +
      (this.bytes[this.offset + 3] as number);
    this.offset += 4;
    if (tag === TAG_FLOAT16) {
      const raw = this.take(align4(count * 2), what);
      return {
        data: float16ArrayToFloat32(new Uint16Array(raw.buffer, 0, count)),
        storage: "float16",
      };
    }
    if (tag === TAG_INT8) {
      throw new NcnnFormatError(`${what}: int8-quantized NCNN weights are not supported`);
    }
    if (tag === TAG_RAW_FLOAT32 || flagSum === 0) {
      return { data: this.readRaw(count, what), storage: "float32" };
    }
    // Any other non-zero flag: a 256-entry float32 lookup table followed by uint8 indices.
    const table = this.readRaw(256, `${what} quantization table`);
    const indices = this.take(align4(count), what);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = table[indices[i] as number] as number;
    return { data, storage: "table-quantized" };
  }

  /** Throws unless every byte was consumed: a mismatch means the .bin and .param disagree. */
  assertConsumed(): void {
    if (this.remaining !== 0) {
      throw new NcnnFormatError(
        `.bin has ${this.remaining} unread bytes after the last layer (read ${this.offset} of ${this.bytes.byteLength}); the .bin does not match the .param`,
      );
    }
  }
}
