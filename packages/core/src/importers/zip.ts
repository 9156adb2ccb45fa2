import { crc32, inflateRawSync } from "node:zlib";
import { ImportError } from "./errors";

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const MAX_ENTRIES = 100_000;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /** The entry's bytes (a view into the archive when stored), CRC-checked. */
  read(entry: ZipEntry): Uint8Array;
}

export interface ZipOptions {
  /** Cap on the sum of the entries' uncompressed sizes. */
  maxUncompressedBytes: number;
}

/**
 * A reader for the archives torch.save writes (stored entries, optional zip64 records), also
 * accepting deflated entries. It reads only from the central directory, checks every offset
 * against the buffer and every name for path tricks, so a cut-off upload fails with a precise
 * message instead of yielding partial tensors.
 */
export function readZip(bytes: Uint8Array, options: ZipOptions): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(bytes, view);
  let entryCount = view.getUint16(eocd + 10, true);
  let directorySize = view.getUint32(eocd + 12, true);
  let directoryOffset = view.getUint32(eocd + 16, true);

  if (entryCount === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR) {
      throw new ImportError(
        "bad_archive",
        "zip end record points to zip64 fields but the zip64 locator is missing",
      );
    }
    const zip64End = safeNumber(view.getBigUint64(locator + 8, true), "zip64 end record offset");
    if (zip64End + 56 > bytes.byteLength || view.getUint32(zip64End, true) !== ZIP64_END) {
      throw new ImportError("bad_archive", `zip64 end record not found at offset ${zip64End}`);
    }
    entryCount = safeNumber(view.getBigUint64(zip64End + 32, true), "zip64 entry count");
    directorySize = safeNumber(view.getBigUint64(zip64End + 40, true), "zip64 directory size");
    directoryOffset = safeNumber(view.getBigUint64(zip64End + 48, true), "zip64 directory offset");
  }
  if (entryCount > MAX_ENTRIES) {
    throw new ImportError(
      "bad_archive",
      `archive has ${entryCount} entries (limit ${MAX_ENTRIES})`,
    );
  }
  if (directoryOffset + directorySize > bytes.byteLength) {
    throw new ImportError(
      "truncated",
      `zip central directory [${directoryOffset}, ${directoryOffset + directorySize}) lies beyond the end of the ${bytes.byteLength}-byte archive: truncated`,
    );
  }

  const entries = new Map<string, ZipEntry>();
  let cursor = directoryOffset;
  let totalSize = 0;
  for (let i = 0; i < entryCount; i++) {
    if (cursor + 46 > bytes.byteLength || view.getUint32(cursor, true) !== CENTRAL_HEADER) {
      throw new ImportError(
        "bad_archive",
        `zip central directory entry ${i} at offset ${cursor} is missing or corrupt`,
      );
    }
    const entry = readCentralEntry(bytes, view, cursor);
    cursor = entry.next;
    checkEntryName(entry.name);
    if (entries.has(entry.name)) {
      throw new ImportError("bad_archive", `archive has two entries named '${entry.name}'`);
    }
    totalSize += entry.size;
    if (totalSize > options.maxUncompressedBytes) {
      throw new ImportError(
        "too_large",
        `archive entries unpack to more than ${options.maxUncompressedBytes} bytes (cap)`,
      );
    }
    entries.set(entry.name, entry);
  }

  return { entries, read: (entry) => readEntryData(bytes, view, entry) };
}

function findEndOfCentralDirectory(bytes: Uint8Array, view: DataView): number {
  // The end record is 22 bytes plus a comment of at most 65535 bytes, so search only that tail.
  const lowest = Math.max(0, bytes.byteLength - 22 - 0xffff);
  for (let i = bytes.byteLength - 22; i >= lowest; i--) {
    if (view.getUint32(i, true) === END_OF_CENTRAL_DIRECTORY) {
      if (i + 22 + view.getUint16(i + 20, true) === bytes.byteLength) return i;
    }
  }
  if (bytes.byteLength >= 4 && view.getUint32(0, true) === LOCAL_HEADER) {
    throw new ImportError(
      "truncated",
      `zip archive (${bytes.byteLength} bytes) has no end-of-central-directory record: the file is truncated`,
    );
  }
  throw new ImportError("bad_archive", "not a zip archive (no end-of-central-directory record)");
}

function readCentralEntry(
  bytes: Uint8Array,
  view: DataView,
  at: number,
): ZipEntry & { next: number } {
  const flags = view.getUint16(at + 8, true);
  const method = view.getUint16(at + 10, true);
  const crc = view.getUint32(at + 16, true);
  let compressedSize = view.getUint32(at + 20, true);
  let size = view.getUint32(at + 24, true);
  const nameLength = view.getUint16(at + 28, true);
  const extraLength = view.getUint16(at + 30, true);
  const commentLength = view.getUint16(at + 32, true);
  let localHeaderOffset = view.getUint32(at + 42, true);
  const next = at + 46 + nameLength + extraLength + commentLength;
  if (next > bytes.byteLength) {
    throw new ImportError("truncated", `zip central directory entry at ${at} is cut off`);
  }
  const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
  if (flags & 0x1) {
    throw new ImportError("unsupported", `zip entry '${name}' is encrypted`);
  }
  if (method !== 0 && method !== 8) {
    throw new ImportError(
      "unsupported",
      `zip entry '${name}' uses compression method ${method} (only stored and deflate are read)`,
    );
  }

  // Zip64 extra field: 64-bit values replace, in this order, the 32-bit fields set to 0xffffffff.
  let extra = at + 46 + nameLength;
  const extraEnd = extra + extraLength;
  while (extra + 4 <= extraEnd) {
    const id = view.getUint16(extra, true);
    const length = view.getUint16(extra + 2, true);
    if (id === 0x0001) {
      let field = extra + 4;
      const take = (what: string): number => {
        if (field + 8 > extra + 4 + length) {
          throw new ImportError("bad_archive", `zip entry '${name}': zip64 extra field too short`);
        }
        const value = safeNumber(view.getBigUint64(field, true), `${what} of '${name}'`);
        field += 8;
        return value;
      };
      if (size === 0xffffffff) size = take("size");
      if (compressedSize === 0xffffffff) compressedSize = take("compressed size");
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = take("offset");
    }
    extra += 4 + length;
  }
  if (method === 0 && compressedSize !== size) {
    throw new ImportError(
      "bad_archive",
      `zip entry '${name}' is stored but its sizes differ (${compressedSize} vs ${size})`,
    );
  }
  return { name, method, compressedSize, size, crc32: crc, localHeaderOffset, next };
}

function checkEntryName(name: string): void {
  if (
    name.length === 0 ||
    name.startsWith("/") ||
    name.includes("\\") ||
    name.includes("\0") ||
    name.split("/").some((part) => part === "..") ||
    /^[a-zA-Z]:/.test(name)
  ) {
    throw new ImportError("bad_archive", `zip entry name ${JSON.stringify(name)} is not allowed`);
  }
}

function readEntryData(bytes: Uint8Array, view: DataView, entry: ZipEntry): Uint8Array {
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.byteLength) {
    throw new ImportError(
      "truncated",
      `zip entry '${entry.name}': local header at ${at} lies beyond the end of the archive`,
    );
  }
  if (view.getUint32(at, true) !== LOCAL_HEADER) {
    throw new ImportError(
      "bad_archive",
      `zip entry '${entry.name}': no local header at offset ${at}`,
    );
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.byteLength) {
    throw new ImportError(
      "truncated",
      `zip entry '${entry.name}' needs bytes [${start}, ${end}) but the archive has ${bytes.byteLength}: truncated`,
    );
  }
  const raw = bytes.subarray(start, end);
  let data: Uint8Array;
  if (entry.method === 0) {
    data = raw;
  } else {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (error) {
      throw new ImportError(
        "bad_archive",
        `zip entry '${entry.name}' does not inflate: ${(error as Error).message}`,
      );
    }
    if (data.byteLength !== entry.size) {
      throw new ImportError(
        "bad_archive",
        `zip entry '${entry.name}' inflates to ${data.byteLength} bytes, directory says ${entry.size}`,
      );
    }
  }
  if (crc32(data) !== entry.crc32) {
    throw new ImportError("bad_archive", `zip entry '${entry.name}' fails its CRC-32 check`);
  }
  return data;
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ImportError("bad_archive", `${what} (${value}) is out of range`);
  }
  return Number(value);
}
