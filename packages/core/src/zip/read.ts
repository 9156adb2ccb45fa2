// Zip reading for Node, on yauzl: it reads the central directory by random access (from a file
// on disk or a buffer), handles zip64 and hands each entry's bytes out as a stream. The policy
// lives here: every entry is checked from the directory before any is extracted (count, names,
// encryption, compression method, declared sizes), and while unpacking the inflated bytes are
// counted against the declared size and their CRC-32 checked, which yauzl leaves to its users.
import { createWriteStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { ZipError } from "./errors";

export { ZipError, type ZipErrorCode } from "./errors";

export interface ZipLimits {
  maxEntries: number;
  /** Sum of the entries' unpacked sizes. */
  maxTotalBytes: number;
  /** Any single entry. */
  maxEntryBytes: number;
}

export interface ZipEntryInfo {
  /** Normalised relative path (forward slashes, no `.` or empty segments). */
  name: string;
  isDirectory: boolean;
  /** Unpacked size, as declared in the central directory (and enforced while unpacking). */
  size: number;
}

export interface ZipReader {
  /** Every entry, checked, in directory order. */
  entries: ZipEntryInfo[];
  /** Unpacks one entry to a new file (streamed; refuses to overwrite). */
  extractTo(entry: ZipEntryInfo, target: string): Promise<void>;
  /** One entry's bytes; for a stored entry of an archive in memory, a view into it. */
  read(entry: ZipEntryInfo): Promise<Uint8Array>;
  close(): void;
}

const LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

const OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: false,
  // Names are decoded and judged below, with messages that say what was wrong.
  decodeStrings: false,
  strictFileNames: true,
  // Sizes are enforced by the guard below, which also checks the CRC.
  validateEntrySizes: false,
};

/** Opens a zip file on disk; only its central directory is read here. */
export async function openZipFile(path: string, limits: ZipLimits): Promise<ZipReader> {
  const { size } = await stat(path);
  let zipfile: ZipFile;
  try {
    zipfile = await yauzl.openPromise(path, OPTIONS);
  } catch (error) {
    throw await refusalOfOpen(error, size, () => headOfFile(path));
  }
  return readDirectory(zipfile, size, limits, null);
}

/** Opens a zip held in memory; stored entries are then read without copying. */
export async function openZipBytes(bytes: Uint8Array, limits: ZipLimits): Promise<ZipReader> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zipfile: ZipFile;
  try {
    zipfile = await yauzl.fromBufferPromise(buffer, OPTIONS);
  } catch (error) {
    throw await refusalOfOpen(error, buffer.byteLength, async () => buffer.subarray(0, 4));
  }
  return readDirectory(zipfile, buffer.byteLength, limits, buffer);
}

/**
 * A path inside the archive that may become a file name: relative, no `..`, no drive letter,
 * no backslashes or control characters. Anything else is an attack or a broken archive.
 */
export function safeEntryName(raw: string): string {
  if (raw.includes("\0") || raw.includes("\\"))
    throw new ZipError("unsafe_name", `unsafe path in archive: ${JSON.stringify(raw)}`);
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw))
    throw new ZipError("unsafe_name", `absolute path in archive: ${JSON.stringify(raw)}`);
  const parts = raw.split("/");
  if (parts.some((p) => p === ".."))
    throw new ZipError("unsafe_name", `path traversal in archive: ${JSON.stringify(raw)}`);
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20))
    throw new ZipError("unsafe_name", `control character in archive path: ${JSON.stringify(raw)}`);
  const name = parts.filter((p) => p !== "" && p !== ".").join("/");
  if (!name) throw new ZipError("unsafe_name", `empty path in archive: ${JSON.stringify(raw)}`);
  return name;
}

async function readDirectory(
  zipfile: ZipFile,
  size: number,
  limits: ZipLimits,
  buffer: Buffer | null,
): Promise<ZipReader> {
  const found = new Map<ZipEntryInfo, Entry>();
  try {
    if (zipfile.entryCount > limits.maxEntries) {
      throw new ZipError(
        "too_many_entries",
        `the archive has ${zipfile.entryCount} entries; the limit is ${limits.maxEntries}`,
      );
    }
    const names = new Set<string>();
    let total = 0;
    const entries = zipfile.eachEntry();
    while (true) {
      let next: IteratorResult<Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        throw refusalOfDirectory(error, size);
      }
      if (next.done) break;
      const entry = next.value;
      const raw = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true,
      );
      const isDirectory = raw.endsWith("/");
      const name = safeEntryName(raw);
      if (names.has(name))
        throw new ZipError("corrupt", `the archive has two entries named '${name}'`);
      names.add(name);
      if (!isDirectory) {
        checkEntry(entry, name, size, limits);
        total += entry.uncompressedSize;
        if (total > limits.maxTotalBytes)
          throw new ZipError(
            "too_large",
            `the archive unpacks to more than ${limits.maxTotalBytes} bytes`,
          );
      }
      found.set({ name, isDirectory, size: entry.uncompressedSize }, entry);
    }
  } catch (error) {
    zipfile.close();
    throw error;
  }

  const raw = (info: ZipEntryInfo): Entry => {
    const entry = found.get(info);
    if (!entry) throw new Error(`${info.name} is not an entry of this archive`);
    return entry;
  };
  return {
    entries: [...found.keys()],
    async extractTo(info, target) {
      const source = await openEntry(zipfile, raw(info), info.name);
      await unpack(source, info, raw(info).crc32, createWriteStream(target, { flags: "wx" }));
    },
    async read(info) {
      const entry = raw(info);
      if (buffer && entry.compressionMethod === 0) {
        // torch.save stores tensors uncompressed: hand out a view instead of a second copy.
        let start: number;
        try {
          ({ fileDataStart: start } = await zipfile.readLocalFileHeaderPromise(entry, {
            minimal: true,
          }));
        } catch (error) {
          throw refusalOfEntry(error, info.name);
        }
        const data = buffer.subarray(start, start + entry.compressedSize);
        if (start + entry.compressedSize > buffer.byteLength)
          throw truncatedEntry(info.name, buffer.byteLength);
        if (crc32(data) !== entry.crc32) throw badCrc(info.name);
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      }
      const out = new Uint8Array(info.size);
      let at = 0;
      const source = await openEntry(zipfile, entry, info.name);
      await unpack(source, info, entry.crc32, async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) {
          out.set(chunk, at);
          at += chunk.byteLength;
        }
      });
      return out;
    },
    close() {
      // yauzl counts closes; a second one would throw.
      if (zipfile.isOpen) zipfile.close();
    },
  };
}

function checkEntry(entry: Entry, name: string, size: number, limits: ZipLimits): void {
  if (entry.isEncrypted())
    throw new ZipError(
      "unsupported",
      `'${name}' is encrypted; only archives without a password are accepted`,
    );
  const method = entry.compressionMethod;
  if (method !== 0 && method !== 8)
    throw new ZipError(
      "unsupported",
      `'${name}' uses compression method ${method}; only stored and deflate entries are accepted`,
    );
  if (method === 0 && entry.compressedSize !== entry.uncompressedSize)
    throw new ZipError(
      "corrupt",
      `'${name}' is stored uncompressed but its sizes differ (${entry.compressedSize} vs ${entry.uncompressedSize})`,
    );
  if (entry.uncompressedSize > limits.maxEntryBytes)
    throw new ZipError(
      "too_large",
      `'${name}' unpacks to ${entry.uncompressedSize} bytes; the limit per file is ${limits.maxEntryBytes}`,
    );
  // A local header is at least 30 bytes: data that cannot fit was cut off.
  if (entry.relativeOffsetOfLocalHeader + 30 + entry.compressedSize > size)
    throw truncatedEntry(name, size);
}

async function openEntry(zipfile: ZipFile, entry: Entry, name: string) {
  try {
    return await zipfile.openReadStreamPromise(entry);
  } catch (error) {
    throw refusalOfEntry(error, name);
  }
}

/** Counts and checksums the unpacked bytes on their way to `sink`. */
async function unpack(
  source: NodeJS.ReadableStream,
  info: ZipEntryInfo,
  expectedCrc: number,
  sink: NodeJS.WritableStream | ((chunks: AsyncIterable<Buffer>) => Promise<void>),
): Promise<void> {
  let produced = 0;
  let crc = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      produced += chunk.length;
      if (produced > info.size)
        return done(
          new ZipError(
            "too_large",
            `'${info.name}' inflates beyond its declared size of ${info.size} bytes (a zip bomb or a corrupt archive)`,
          ),
        );
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, guard, sink);
  } catch (error) {
    throw refusalOfEntry(error, info.name);
  }
  if (produced !== info.size)
    throw new ZipError(
      "truncated",
      `'${info.name}' is shorter than declared (${produced} of ${info.size} bytes): the archive is truncated or corrupt`,
    );
  if (crc >>> 0 !== expectedCrc) throw badCrc(info.name);
}

const badCrc = (name: string) =>
  new ZipError("corrupt", `zip entry '${name}' fails its CRC-32 check: the archive is corrupt`);

const truncatedEntry = (name: string, size: number) =>
  new ZipError(
    "truncated",
    `'${name}' lies beyond the end of the ${size}-byte archive: the file is truncated`,
  );

async function headOfFile(path: string): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(4), position: 0 });
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

// yauzl's messages describe the format; these say what is wrong with the upload.
async function refusalOfOpen(
  error: unknown,
  size: number,
  head: () => Promise<Buffer>,
): Promise<Error> {
  if (error instanceof ZipError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/end of central directory record signature not found/i.test(message)) {
    return (await head()).equals(LOCAL_HEADER)
      ? new ZipError(
          "truncated",
          `zip archive (${size} bytes) has no end-of-central-directory record: the file is truncated`,
        )
      : new ZipError("not_zip", "not a zip archive (no end-of-central-directory record)");
  }
  if (/multi-disk/i.test(message))
    return new ZipError("unsupported", "split (multi-part) zip archives are not accepted");
  return new ZipError("corrupt", "the zip archive is damaged and cannot be read", error);
}

function refusalOfDirectory(error: unknown, size: number): Error {
  if (error instanceof ZipError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/unexpected EOF/i.test(message))
    return new ZipError(
      "truncated",
      `the zip central directory of this ${size}-byte archive lies beyond the end of the file: it is truncated`,
    );
  if (/strong encryption/i.test(message))
    return new ZipError(
      "unsupported",
      "the archive is encrypted; only archives without a password are accepted",
    );
  return new ZipError(
    "corrupt",
    "the zip archive's directory is damaged and cannot be read",
    error,
  );
}

function refusalOfEntry(error: unknown, name: string): Error {
  // Errors of the target file (exists, disk full) are not the archive's fault.
  if (error instanceof ZipError || (error instanceof Error && "syscall" in error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/overflows file bounds|unexpected EOF|unexpected end/i.test(message))
    return new ZipError("truncated", `'${name}' is cut off: the archive is truncated`);
  if (/local file header signature/i.test(message))
    return new ZipError(
      "corrupt",
      `'${name}' has no local header where the directory says: the archive is corrupt`,
    );
  return new ZipError("corrupt", `'${name}' cannot be unpacked: the archive is corrupt`, error);
}
