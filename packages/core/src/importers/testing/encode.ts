import { DTYPE_SIZE, type DType } from "../tensor";
import { floatToBfloat16, floatToHalf } from "./half";

/** Encodes numbers as little-endian bytes of the given dtype (test data only). */
export function encodeValues(values: ArrayLike<number>, dtype: DType): Uint8Array {
  const sizes = DTYPE_SIZE;
  const out = new Uint8Array(values.length * sizes[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    switch (dtype) {
      case "F64":
        view.setFloat64(i * 8, v, true);
        break;
      case "F32":
        view.setFloat32(i * 4, v, true);
        break;
      case "F16":
        view.setUint16(i * 2, floatToHalf(v), true);
        break;
      case "BF16":
        view.setUint16(i * 2, floatToBfloat16(v), true);
        break;
      case "I64":
        view.setBigInt64(i * 8, BigInt(Math.round(v)), true);
        break;
      case "I32":
        view.setInt32(i * 4, v, true);
        break;
      case "I16":
        view.setInt16(i * 2, v, true);
        break;
      case "I8":
        view.setInt8(i, v);
        break;
      case "U8":
      case "BOOL":
        view.setUint8(i, v);
        break;
    }
  }
  return out;
}

/** The parts one after another, in a new array of its own (offset 0, as readers may assume). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
