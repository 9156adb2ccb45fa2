import { checkSize, DEFAULT_MAX_BYTES, ImportError } from "./errors";
import {
  DTYPE_SIZE,
  type DType,
  formatShape,
  isDType,
  numel,
  type StateDict,
  type WeightTensor,
} from "./tensor";

// The reference implementation refuses headers above 100 MB; a real one is a few kilobytes.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsFile {
  tensors: StateDict;
  metadata: Record<string, string>;
}

export interface ReadOptions {
  maxBytes?: number;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads a .safetensors file: an 8-byte little-endian header length, a JSON header, then one
 * byte buffer that the header's data_offsets must cover exactly, without holes or overlaps.
 */
export function readSafetensors(bytes: Uint8Array, options: ReadOptions = {}): SafetensorsFile {
  checkSize(bytes.byteLength, options.maxBytes ?? DEFAULT_MAX_BYTES, "safetensors file");
  if (bytes.byteLength < 8) {
    throw new ImportError(
      "truncated",
      `safetensors file is ${bytes.byteLength} bytes, too short for the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new ImportError(
      "bad_header",
      `safetensors header length ${headerLength} is larger than ${MAX_HEADER_BYTES} bytes: not a safetensors file or a corrupt one`,
    );
  }
  const headerEnd = 8 + Number(headerLength);
  if (headerEnd > bytes.byteLength) {
    throw new ImportError(
      "truncated",
      `safetensors header says ${headerLength} bytes of JSON but the file has only ${bytes.byteLength - 8} bytes after the length`,
    );
  }
  const header = parseHeader(bytes.subarray(8, headerEnd));
  const buffer = bytes.subarray(headerEnd);

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      readMetadata(value, metadata);
      continue;
    }
    entries.push(readEntry(name, value, buffer.byteLength));
  }
  checkCoverage(entries, buffer.byteLength);

  const tensors: StateDict = new Map();
  for (const entry of entries) {
    const tensor: WeightTensor = {
      dtype: entry.dtype,
      shape: entry.shape,
      data: buffer.subarray(entry.begin, entry.end),
    };
    tensors.set(entry.name, tensor);
  }
  return { tensors, metadata };
}

function parseHeader(raw: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new ImportError("bad_header", "safetensors header is not valid UTF-8");
  }
  if (!text.startsWith("{")) {
    throw new ImportError(
      "bad_header",
      "safetensors header does not start with '{': not a safetensors file",
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ImportError(
      "bad_header",
      `safetensors header is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ImportError("bad_header", "safetensors header is not a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function readMetadata(value: unknown, into: Record<string, string>): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ImportError("bad_header", "safetensors __metadata__ is not an object of strings");
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw new ImportError("bad_header", `safetensors __metadata__.${key} is not a string`);
    }
    into[key] = v;
  }
}

function readEntry(name: string, value: unknown, bufferLength: number): Entry {
  const where = `tensor '${name}'`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ImportError("bad_header", `${where}: header entry is not an object`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !isDType(dtype)) {
    throw new ImportError(
      "bad_tensor",
      `${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_SIZE).join(", ")})`,
    );
  }
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw new ImportError(
      "bad_tensor",
      `${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
  ) {
    throw new ImportError(
      "bad_tensor",
      `${where}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    throw new ImportError(
      "bad_tensor",
      `${where}: data_offsets [${begin}, ${end}] end before begin`,
    );
  }
  const expected = numel(shape as number[]) * DTYPE_SIZE[dtype];
  if (end - begin !== expected) {
    throw new ImportError(
      "bad_tensor",
      `${where}: dtype ${dtype} with shape ${formatShape(shape as number[])} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  if (end > bufferLength) {
    throw new ImportError(
      "truncated",
      `${where}: data_offsets [${begin}, ${end}] reach past the end of the data (${bufferLength} bytes): file truncated`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function checkCoverage(entries: Entry[], bufferLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const entry of sorted) {
    if (entry.begin < cursor && previous) {
      throw new ImportError(
        "overlap",
        `tensors '${previous.name}' [${previous.begin}, ${previous.end}) and '${entry.name}' [${entry.begin}, ${entry.end}) overlap`,
      );
    }
    if (entry.begin > cursor) {
      throw new ImportError(
        "bad_tensor",
        `bytes [${cursor}, ${entry.begin}) of the data belong to no tensor (hole before '${entry.name}')`,
      );
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== bufferLength) {
    throw new ImportError(
      "bad_tensor",
      `the data is ${bufferLength} bytes but the tensors cover only ${cursor}: ${bufferLength - cursor} trailing bytes belong to no tensor`,
    );
  }
}
