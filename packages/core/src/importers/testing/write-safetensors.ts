import type { DType } from "../tensor";
import { encodeValues } from "./encode";

export interface TestTensor {
  shape: number[];
  values: ArrayLike<number>;
  dtype?: DType;
}

/** Writes a .safetensors file the way the reference library lays it out (header padded to 8). */
export function writeSafetensors(
  tensors: Record<string, TestTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const dtype = tensor.dtype ?? "F32";
    const data = encodeValues(tensor.values, dtype);
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + data.byteLength] };
    chunks.push(data);
    offset += data.byteLength;
  }
  return assembleSafetensors(JSON.stringify(header), chunks);
}

/** Builds a file from a raw header text, for tests of malformed headers. */
export function assembleSafetensors(headerText: string, chunks: Uint8Array[] = []): Uint8Array {
  let json = new TextEncoder().encode(headerText);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    json = new TextEncoder().encode(headerText + " ".repeat(padded - json.byteLength));
  }
  const dataLength = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  const out = new Uint8Array(8 + json.byteLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
