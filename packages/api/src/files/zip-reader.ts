import { createReadStream, createWriteStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32, createInflateRaw } from "node:zlib";
import { UploadError } from "./storage";

export interface ZipEntryInfo {
  /** Normalised relative path (forward slashes). */
  name: string;
  isDirectory: boolean;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  maxEntries: number;
  /** Sum of the entries' uncompressed sizes. */
  maxTotalBytes: number;
  /** Any single entry. */
  maxEntryBytes: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const bad = (message: string) => new UploadError(422, "bad_archive", message);

/**
 * A path inside the archive that may become a file name: relative, no `..`, no drive letter,
 * no backslashes or control characters. Anything else is an attack or a broken archive.
 */
export function safeEntryName(raw: string): string {
  if (raw.includes("\0") || raw.includes("\\"))
    throw bad(`unsafe path in archive: ${JSON.stringify(raw)}`);
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw))
    throw bad(`absolute path in archive: ${JSON.stringify(raw)}`);
  const parts = raw.split("/");
  if (parts.some((p) => p === "..")) throw bad(`path traversal in archive: ${JSON.stringify(raw)}`);
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20))
    throw bad(`control character in archive path: ${JSON.stringify(raw)}`);
  return parts.filter((p) => p !== "" && p !== ".").join("/");
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length) throw bad("the archive is truncated");
  return buffer;
}

/**
 * Reads the central directory of a zip file on disk (never the whole file into memory) and
 * checks every entry before anything is extracted: count, declared sizes, names, encryption,
 * compression method. Zip64 archives are refused with a clear message.
 */
export async function readZipDirectory(
  file: string,
  size: number,
  limits: ZipLimits,
): Promise<ZipEntryInfo[]> {
  const handle = await open(file, "r");
  try {
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = await readAt(handle, size - tailLength, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw bad("not a zip archive (no end of central directory)");
    const count = tail.readUInt16LE(eocd + 10);
    const dirSize = tail.readUInt32LE(eocd + 12);
    const dirOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
      throw bad("zip64 archives are not supported; split the archive below 4 GB / 65,535 files");
    }
    if (count > limits.maxEntries)
      throw bad(`the archive has ${count} entries; the limit is ${limits.maxEntries}`);
    if (dirOffset + dirSize > size)
      throw bad("the archive is truncated (central directory out of range)");
    const dir = await readAt(handle, dirOffset, dirSize);
    const entries: ZipEntryInfo[] = [];
    let total = 0;
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL)
        throw bad("corrupt central directory");
      const flags = dir.readUInt16LE(p + 8);
      const method = dir.readUInt16LE(p + 10);
      const crc = dir.readUInt32LE(p + 16);
      const compressedSize = dir.readUInt32LE(p + 20);
      const entrySize = dir.readUInt32LE(p + 24);
      const nameLength = dir.readUInt16LE(p + 28);
      const extraLength = dir.readUInt16LE(p + 30);
      const commentLength = dir.readUInt16LE(p + 32);
      const localHeaderOffset = dir.readUInt32LE(p + 42);
      const rawName = dir.toString(flags & 0x800 ? "utf8" : "latin1", p + 46, p + 46 + nameLength);
      p += 46 + nameLength + extraLength + commentLength;
      if (
        compressedSize === 0xffffffff ||
        entrySize === 0xffffffff ||
        localHeaderOffset === 0xffffffff
      ) {
        throw bad("zip64 entries are not supported");
      }
      const name = safeEntryName(rawName);
      const isDirectory = rawName.endsWith("/");
      if (!isDirectory) {
        if (flags & 0x1) throw bad(`encrypted entry: ${name}`);
        if (method !== 0 && method !== 8)
          throw bad(`unsupported compression (method ${method}) for ${name}`);
        if (entrySize > limits.maxEntryBytes)
          throw bad(
            `${name} unpacks to ${entrySize} bytes; the limit per file is ${limits.maxEntryBytes}`,
          );
        total += entrySize;
        if (total > limits.maxTotalBytes)
          throw bad(`the archive unpacks to more than ${limits.maxTotalBytes} bytes`);
        if (localHeaderOffset + 30 + compressedSize > size)
          throw bad(`${name} lies outside the archive (truncated)`);
      }
      entries.push({
        name,
        isDirectory,
        method,
        compressedSize,
        size: entrySize,
        crc32: crc,
        localHeaderOffset,
      });
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/**
 * Extracts one entry to `target`, streaming. The inflated byte count is enforced against the
 * declared size while inflating (a lying header cannot produce a zip bomb) and the CRC-32 is
 * checked at the end.
 */
export async function extractEntry(
  file: string,
  entry: ZipEntryInfo,
  target: string,
): Promise<void> {
  const handle = await open(file, "r");
  let dataStart: number;
  try {
    const local = await readAt(handle, entry.localHeaderOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw bad(`corrupt local header for ${entry.name}`);
    dataStart = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await handle.close();
  }
  let produced = 0;
  let crc = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _enc, done) {
      produced += chunk.length;
      if (produced > entry.size)
        return done(bad(`${entry.name} inflates beyond its declared size`));
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
  });
  const source =
    entry.compressedSize === 0
      ? [Buffer.alloc(0)]
      : createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  const stages: NodeJS.ReadWriteStream[] =
    entry.method === 8 ? [createInflateRaw(), guard] : [guard];
  try {
    await pipeline(
      source as NodeJS.ReadableStream,
      ...(stages as [NodeJS.ReadWriteStream]),
      createWriteStream(target, { flags: "wx" }),
    );
  } catch (error) {
    if (error instanceof UploadError) throw error;
    throw bad(
      `${entry.name} cannot be unpacked (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (produced !== entry.size)
    throw bad(`${entry.name} is shorter than declared (truncated archive)`);
  if (crc >>> 0 !== entry.crc32) throw bad(`${entry.name} fails its CRC check (corrupt archive)`);
}
