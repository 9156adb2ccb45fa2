import { crc32 } from "node:zlib";
import { deflateSync, Zip, type ZipInputFile, type ZipOptions, zipSync } from "fflate";
import { concatBytes } from "./encode";

export interface ZipInput {
  name: string;
  data: Uint8Array;
}

export interface ZipWriterOptions {
  alignment?: number;
  /** Deflate the entries (torch.save stores them; other tools may not). */
  deflate?: boolean;
  /** Add the zip64 end record and locator, as PyTorch's writer (miniz) always does. */
  zip64?: boolean;
}

// A fixed time keeps fixtures byte-identical between runs.
const MTIME = new Date(2024, 0, 1);
const PADDING_FIELD = 0x4246; // "FB", the extra field PyTorch pads with

/**
 * Writes a zip the way torch.save does, through fflate: stored entries, each one's data
 * aligned to 64 bytes with a padding extra field in its header, sizes in the local headers.
 */
export function writeZip(files: ZipInput[], options: ZipWriterOptions = {}): Uint8Array {
  const alignment = options.alignment ?? 64;
  const encoder = new TextEncoder();
  const entries: Record<string, [Uint8Array, ZipOptions & { extra: Record<number, Uint8Array> }]> =
    {};
  let offset = 0;
  for (const file of files) {
    if (file.name in entries) throw new Error(`writeZip: '${file.name}' is given twice`);
    const nameLength = encoder.encode(file.name).byteLength;
    const headerEnd = offset + 30 + nameLength + 4;
    const padding = (alignment - (headerEnd % alignment)) % alignment;
    entries[file.name] = [
      file.data,
      {
        level: options.deflate ? 6 : 0,
        mtime: MTIME,
        extra: { [PADDING_FIELD]: new Uint8Array(padding) },
      },
    ];
    // Only stored data has a known length here; deflated fixtures need no alignment.
    offset = headerEnd + padding + file.data.byteLength;
  }
  const zip = zipSync(entries);
  return options.zip64 ? withZip64EndRecord(zip) : zip;
}

/**
 * fflate writes no zip64 records, but every real .pth carries them: the zip64 end record and
 * its locator go between the central directory and the classic end record.
 */
function withZip64EndRecord(zip: Uint8Array): Uint8Array {
  const end = zip.byteLength - 22;
  const tail = new DataView(zip.buffer, zip.byteOffset + end, 22);
  const count = tail.getUint16(10, true);
  const directorySize = tail.getUint32(12, true);
  const directoryOffset = tail.getUint32(16, true);
  const records = new Uint8Array(56 + 20);
  const view = new DataView(records.buffer);
  view.setUint32(0, 0x06064b50, true);
  view.setBigUint64(4, 44n, true);
  view.setUint16(12, 45, true);
  view.setUint16(14, 45, true);
  view.setBigUint64(24, BigInt(count), true);
  view.setBigUint64(32, BigInt(count), true);
  view.setBigUint64(40, BigInt(directorySize), true);
  view.setBigUint64(48, BigInt(directoryOffset), true);
  view.setUint32(56, 0x07064b50, true);
  view.setBigUint64(64, BigInt(end), true);
  view.setUint32(72, 1, true);
  const out = new Uint8Array(zip.byteLength + records.byteLength);
  out.set(zip.subarray(0, end));
  out.set(records, end);
  out.set(zip.subarray(end), end + records.byteLength);
  return out;
}

export interface RawZipEntry {
  name: string;
  data: Uint8Array | string;
  deflate?: boolean;
  /** Declare another unpacked size in the directory than the data has (a zip bomb's lie). */
  declaredSize?: number;
  /** Declare another CRC-32 than the data has. */
  crc?: number;
  /** Declare another compression method (the data is stored as given). */
  method?: number;
}

/**
 * A zip of any entries, written by fflate's streaming writer (data descriptors, as streaming
 * tools write), including what a well-behaved writer refuses: repeated or hostile names and
 * declared sizes, CRCs or methods that do not match the data. For tests of refusals.
 */
export function writeZipEntries(entries: RawZipEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, chunk) => {
    if (error) throw error;
    chunks.push(chunk);
  });
  for (const entry of entries) {
    const data = typeof entry.data === "string" ? new TextEncoder().encode(entry.data) : entry.data;
    const body = entry.deflate ? deflateSync(data) : data;
    const file: ZipInputFile = {
      filename: entry.name,
      size: entry.declaredSize ?? data.byteLength,
      crc: entry.crc ?? crc32(data),
      compression: entry.method ?? (entry.deflate ? 8 : 0),
      mtime: MTIME,
    };
    zip.add(file);
    file.ondata?.(null, new Uint8Array(body), true);
  }
  zip.end();
  return concatBytes(chunks);
}
