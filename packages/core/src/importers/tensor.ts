import { ImportError } from "./errors";

/** Element types as safetensors names them; PyTorch storages are mapped onto the same names. */
export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

export const DTYPE_SIZE: Record<DType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isDType(value: string): value is DType {
  return Object.hasOwn(DTYPE_SIZE, value);
}

/** A tensor read from a weight file: contiguous little-endian bytes in row-major order. */
export interface WeightTensor {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

/** Parameter name -> tensor, in file order. */
export type StateDict = Map<string, WeightTensor>;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Converts any floating or integer tensor to float32 (half and bfloat16 exactly, int64 rounded). */
export function toFloat32(tensor: WeightTensor): Float32Array {
  const n = numel(tensor.shape);
  const size = DTYPE_SIZE[tensor.dtype];
  if (tensor.data.byteLength !== n * size) {
    throw new ImportError(
      "bad_tensor",
      `tensor of shape ${formatShape(tensor.shape)} and dtype ${tensor.dtype} needs ${n * size} bytes, has ${tensor.data.byteLength}`,
    );
  }
  const view = new DataView(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const out = new Float32Array(n);
  switch (tensor.dtype) {
    case "F32":
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case "F64":
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case "F16":
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case "BF16": {
      const bits = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        bits.setUint32(0, view.getUint16(i * 2, true) << 16);
        out[i] = bits.getFloat32(0);
      }
      break;
    }
    case "I64":
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case "I32":
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case "I16":
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case "I8":
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case "U8":
    case "BOOL":
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === "F32" || dtype === "F16" || dtype === "BF16" || dtype === "F64";
}
