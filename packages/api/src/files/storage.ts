import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { env } from "../env";

/** Thrown while receiving or checking an upload; `status` is the HTTP status to answer. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "UploadError";
  }
}

export const dataDir = () => env().DATA_DIR;

/**
 * Absolute path of a path stored relative to DATA_DIR. Stored paths are written by the server
 * only, but the check keeps a corrupted row from reaching outside the data directory.
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

/**
 * Streams a request body into DATA_DIR/tmp, hashing as it goes, and stops as soon as it passes
 * `maxBytes`: a large body is never held in memory, and an oversized one leaves no file.
 */
export async function receiveToTemp(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<ReceivedFile> {
  if (!body) throw new UploadError(400, "empty", "The request has no body.");
  const dir = resolveDataPath("tmp");
  await mkdir(dir, { recursive: true });
  const tmpPath = path.join(dir, `${randomName()}.part`);
  const out = createWriteStream(tmpPath, { flags: "wx" });
  const hash = createHash("sha256");
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new UploadError(
          413,
          "too_large",
          `The upload is larger than ${formatBytes(maxBytes)}.`,
        );
      }
      hash.update(value);
      if (headLength < HEAD_BYTES) {
        headChunks.push(Buffer.from(value.subarray(0, HEAD_BYTES - headLength)));
        headLength += Math.min(value.byteLength, HEAD_BYTES - headLength);
      }
      if (!out.write(value)) await new Promise<void>((resolve) => out.once("drain", resolve));
    }
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      out.end(resolve);
    });
  } catch (error) {
    out.destroy();
    await rm(tmpPath, { force: true });
    throw error;
  }
  if (size === 0) {
    await rm(tmpPath, { force: true });
    throw new UploadError(400, "empty", "The upload is empty.");
  }
  return { tmpPath, size, sha256: hash.digest("hex"), head: Buffer.concat(headChunks) };
}

/** Renames a temp file to its place (same file system, so atomic); returns the absolute path. */
export async function moveIntoPlace(tmpPath: string, relative: string): Promise<string> {
  const target = resolveDataPath(relative);
  await mkdir(path.dirname(target), { recursive: true });
  await rename(tmpPath, target);
  return target;
}

export async function removeQuietly(...paths: Array<string | null | undefined>) {
  await Promise.all(paths.map((p) => (p ? rm(p, { force: true, recursive: true }) : undefined)));
}

export async function fileSize(absolute: string): Promise<number | null> {
  try {
    return (await stat(absolute)).size;
  } catch {
    return null;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${+(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${+(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}
