import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import path from "node:path";

export interface WrittenFile {
  /** Relative to DATA_DIR, with forward slashes (what the store records). */
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Writes bytes to DATA_DIR/tmp first, flushes them, then renames into place: a reader (or a
 * crash) never sees half a result, and the final name appears only once the bytes are there.
 */
export async function writeResultFile(
  dataDir: string,
  relative: string,
  bytes: Uint8Array,
): Promise<WrittenFile> {
  const tmpDir = path.join(dataDir, "tmp");
  await mkdir(tmpDir, { recursive: true });
  const target = path.join(dataDir, relative);
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = path.join(tmpDir, `result-${randomUUID()}${path.extname(relative)}`);
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, target);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  return {
    path: relative.split(path.sep).join("/"),
    sha256: createHash("sha256").update(bytes).digest("hex"),
    bytes: bytes.byteLength,
  };
}

export async function removeResultFiles(dataDir: string, files: WrittenFile[]): Promise<void> {
  await Promise.all(files.map((f) => unlink(path.join(dataDir, f.path)).catch(() => {})));
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
  return path.join("results", taskId, base);
}
