// Writing a local file so that it appears complete or not at all: bytes go to a temp name in
// the same folder (same file system, so the rename is atomic), are flushed to disk, then renamed
// over the target. A crash leaves at most a temp file, which `removeIncomplete` and the cache
// clean up by its reserved name.
import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { BlobError } from "./errors";
import { TEMP_MARKER } from "./keys";
import { digestBytes, type Metered, meter } from "./source";
import type { BlobStore, LocalCopy, PutOptions } from "./store";

export interface WrittenFile {
  size: number;
  sha256: string;
}

export const tempNameFor = (target: string) =>
  path.join(path.dirname(target), `${TEMP_MARKER}${randomUUID()}`);

/** One write call may take only part of a chunk; keep going until all of it is on disk. */
async function writeAll(handle: FileHandle, chunk: Buffer) {
  for (let offset = 0; offset < chunk.byteLength; ) {
    offset += (await handle.write(chunk, offset, chunk.byteLength - offset)).bytesWritten;
  }
}

/**
 * Creates the folder and the temp file. Once more if the folder vanished in between: deleting a
 * folder prefix prunes folders it emptied, which may race with a write into the same folder.
 */
async function openInFolder(temp: string) {
  for (let attempt = 1; ; attempt++) {
    await mkdir(path.dirname(temp), { recursive: true });
    try {
      return await open(temp, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= 3) throw error;
    }
  }
}

/**
 * Writes `input` to `target` atomically; on any failure the temp file is removed and the error
 * rethrown as is (callers translate it). In-memory bytes are checked against `expect` here; a
 * stream carries its checks in its meter, whose `sourceError()` tells a failing source apart.
 */
export async function writeFileAtomically(
  target: string,
  input: Metered | Uint8Array,
  expect: Pick<PutOptions, "size" | "sha256"> = {},
): Promise<WrittenFile> {
  const digestOfBytes = input instanceof Uint8Array ? digestBytes(input, expect) : undefined;
  const temp = tempNameFor(target);
  let handle: FileHandle;
  try {
    handle = await openInFolder(temp);
  } catch (error) {
    if (!(input instanceof Uint8Array)) input.stream.destroy();
    throw error;
  }
  let closed = false;
  try {
    let written: WrittenFile;
    if (digestOfBytes) {
      await handle.writeFile(input as Uint8Array);
      written = digestOfBytes;
    } else {
      const metered = input as Metered;
      // Written chunk by chunk rather than through a write stream: the handle must stay open
      // for the fsync below, and awaiting each write is the backpressure.
      for await (const chunk of metered.stream) await writeAll(handle, chunk as Buffer);
      written = metered.digest();
    }
    await handle.sync();
    await handle.close();
    closed = true;
    await rename(temp, target);
    return written;
  } catch (error) {
    if (!closed) await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    if (!(input instanceof Uint8Array)) input.stream.destroy();
    throw error;
  }
}

/** `toLocalFile` of either store: the object streamed into a file that appears whole or not at all. */
export async function copyToLocalFile(
  store: Pick<BlobStore, "get">,
  key: string,
  file: string,
  options: { sha256?: string } = {},
): Promise<LocalCopy> {
  const { body } = await store.get(key);
  try {
    return await writeFileAtomically(path.resolve(file), meter(body, options));
  } catch (error) {
    throw localCopyError(error, key);
  }
}

/** A failed copy of a stored object to a file on this machine, in the operator's terms. */
function localCopyError(error: unknown, key: string): unknown {
  if (error instanceof BlobError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG") {
    return new BlobError("storage_full", "This machine's disk has no room for the file.", {
      cause: error,
    });
  }
  return new BlobError("failed", `Copying "${key}" to a local file failed.`, { cause: error });
}
