import { randomUUID } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import type { NodeFiles } from "../node-files";

export interface WrittenFile {
  /** The result's key in the blob store (`results/<taskId>/...`: what the row records). */
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Writes a result to a temp file of this node (DATA_DIR/tmp), flushes it, then stores it under
 * its key: the local store renames the file into place, a remote one uploads it whole. A reader
 * (or a crash) never sees half a result, and the key exists only once all its bytes are there;
 * a failed store leaves neither the temp file nor the object.
 */
export async function writeResultFile(
  files: NodeFiles,
  key: string,
  bytes: Uint8Array,
): Promise<WrittenFile> {
  const tmpDir = path.join(files.dataDir, "tmp");
  await mkdir(tmpDir, { recursive: true });
  const tmp = path.join(tmpDir, `result-${randomUUID()}${path.posix.extname(key)}`);
  try {
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const stored = await files.storeFile(key, tmp, { size: bytes.byteLength });
  return { path: key, sha256: stored.sha256, bytes: stored.size };
}

/** Removes results that will not be recorded (best effort: the cleanup job takes what stays). */
export async function removeResultFiles(files: NodeFiles, written: WrittenFile[]): Promise<void> {
  await Promise.all(written.map((f) => files.delete(f.path).catch(() => {})));
}

/**
 * results/<taskId>/<position>-a<attempt>[.<part>].<ext>: the attempt in the name means two
 * workers (one of which lost its lease without knowing) never write the same file, so the
 * result a finished item records can never be overwritten or deleted by a stale attempt.
 */
export function resultName(
  taskId: string,
  position: number,
  attempt: number,
  ext: string,
  part?: string,
): string {
  const base = `${String(position).padStart(4, "0")}-a${attempt}${part ? `.${part}` : ""}.${ext}`;
  return path.posix.join("results", taskId, base);
}
