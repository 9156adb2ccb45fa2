import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { env } from "../env";
import { AppError } from "../errors";

// This process's own files under DATA_DIR: uploads as they arrive (tmp/) and the official
// models fetched at setup (official/). Bytes shared with the inference nodes go through the
// blob store (blobs.ts) instead.

export const dataDir = () => env().DATA_DIR;

/**
 * Absolute path of a path relative to DATA_DIR (tmp/..., official/...). The check keeps a
 * corrupted record from reaching outside the data directory.
 */
export function resolveDataPath(relative: string): string {
  const root = path.resolve(dataDir());
  const absolute = path.resolve(root, relative);
  if (absolute !== root && !absolute.startsWith(`${root}${path.sep}`)) {
    throw new Error("stored path escapes DATA_DIR");
  }
  return absolute;
}

export const randomName = () => randomBytes(16).toString("hex");

export interface ReceivedFile {
  /** Absolute path of the temp file under DATA_DIR/tmp. */
  tmpPath: string;
  size: number;
  sha256: string;
  /** The first bytes, for magic-byte checks. */
  head: Buffer;
}

const HEAD_BYTES = 64;

/** File-system failures become upload errors without server paths in their message. */
function storageError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG") {
    console.error("upload storage failed", error);
    return new AppError("storage_full", "The server has no room for this upload.");
  }
  return error;
}

/**
 * Streams a request body into DATA_DIR/tmp, hashing as it goes, and stops as soon as it passes
 * `maxBytes`: a large body is never held in memory, and an oversized one leaves no file.
 */
export async function receiveToTemp(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<ReceivedFile> {
  if (!body) throw new AppError("empty", "The request has no body.");
  const dir = resolveDataPath("tmp");
  await mkdir(dir, { recursive: true });
  const tmpPath = path.join(dir, `${randomName()}.part`);
  const hash = createHash("sha256");
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        callback(
          new AppError("payload_too_large", `The upload is larger than ${formatBytes(maxBytes)}.`),
        );
        return;
      }
      hash.update(chunk);
      if (headLength < HEAD_BYTES) {
        headChunks.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - headLength)));
        headLength += Math.min(chunk.byteLength, HEAD_BYTES - headLength);
      }
      callback(null, chunk);
    },
  });
  // pipeline listens for errors on every stream from the start (a full disk fails the write
  // stream, not the request) and destroys the others, which cancels the request body.
  try {
    await pipeline(
      Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>),
      meter,
      createWriteStream(tmpPath, { flags: "wx" }),
    );
  } catch (error) {
    await rm(tmpPath, { force: true });
    throw storageError(error);
  }
  if (size === 0) {
    await rm(tmpPath, { force: true });
    throw new AppError("empty", "The upload is empty.");
  }
  return { tmpPath, size, sha256: hash.digest("hex"), head: Buffer.concat(headChunks) };
}

export async function removeQuietly(...paths: Array<string | null | undefined>) {
  await Promise.all(paths.map((p) => (p ? rm(p, { force: true, recursive: true }) : undefined)));
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${+(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${+(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}
