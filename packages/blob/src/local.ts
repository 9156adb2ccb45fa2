// The default store: objects are files under one folder (DATA_DIR), at the path their key
// names, so the layout is the one the product has always used (uploads/, weights/<sha256>.onnx,
// results/<taskId>/) and existing data stays valid.
import {
  access,
  constants,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rmdir,
  stat,
  unlink,
} from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { copyToLocalFile, writeFileAtomically } from "./atomic-file";
import { BlobError } from "./errors";
import { assertFolderPrefix, assertKey, assertPrefix, TEMP_MARKER } from "./keys";
import { resolveRange } from "./range";
import { type Metered, meter, openSource } from "./source";
import type {
  BlobBody,
  BlobInfo,
  BlobSource,
  BlobStore,
  ByteRange,
  LocalCopy,
  PutOptions,
  PutResult,
} from "./store";

const isConsumedFile = (source: BlobSource): source is { file: string; consume: true } =>
  !(source instanceof Uint8Array) && "file" in source && source.consume === true;

const errno = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;

export class LocalBlobStore implements BlobStore {
  readonly kind = "local" as const;
  readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  get description() {
    return this.root;
  }

  /** Absolute path of a key; the key rules keep it inside the root. */
  localPath(key: string): string {
    assertKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  async put(key: string, source: BlobSource, options: PutOptions = {}): Promise<PutResult> {
    const target = this.localPath(key);
    if (isConsumedFile(source)) {
      const taken = await this.takeFile(source.file, target, key, options);
      if (taken) return taken;
    }
    let input: Uint8Array | Metered | undefined;
    try {
      input = source instanceof Uint8Array ? source : meter(await openSource(source), options);
      const written = await writeFileAtomically(target, input, options);
      return { key, ...written };
    } catch (error) {
      // The caller's own stream failing (an upload over its limit) is theirs to report.
      const sourceError = input && !(input instanceof Uint8Array) ? input.sourceError() : undefined;
      throw sourceError ?? this.translate(error, key);
    }
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<BlobBody> {
    const file = this.localPath(key);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(file, "r");
    } catch (error) {
      throw this.translate(error, key);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw this.notFound(key);
      const etag = etagOf(info);
      if (!options.range) {
        return { body: handle.createReadStream(), size: info.size, length: info.size, etag };
      }
      const range = resolveRange(options.range, info.size);
      const body: Readable = handle.createReadStream({ start: range.start, end: range.end });
      return { body, size: info.size, length: range.end - range.start + 1, range, etag };
    } catch (error) {
      await handle.close().catch(() => {});
      throw this.translate(error, key);
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    try {
      return await readFile(this.localPath(key));
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async head(key: string): Promise<BlobInfo | null> {
    const file = this.localPath(key);
    try {
      const info = await stat(file);
      if (!info.isFile()) return null;
      return { key, size: info.size, etag: etagOf(info), lastModified: info.mtime };
    } catch (error) {
      if (errno(error) === "ENOENT" || errno(error) === "ENOTDIR") return null;
      throw this.translate(error, key);
    }
  }

  /**
   * A consumed file on this file system is checked (one read, no write) and renamed into place:
   * a 200 MB upload is not copied. Null when it lies on another file system (copy instead).
   */
  private async takeFile(
    file: string,
    target: string,
    key: string,
    options: PutOptions,
  ): Promise<PutResult | null> {
    const metered = meter(await openSource({ file }), options);
    try {
      for await (const _chunk of metered.stream) {
        // reading is the point: the meter counts and hashes
      }
    } catch (error) {
      throw metered.sourceError() ?? this.translate(error, key);
    }
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await rename(file, target);
    } catch (error) {
      if (errno(error) === "EXDEV") return null;
      throw this.translate(error, key);
    }
    return { key, ...metered.digest() };
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.localPath(from);
    const target = this.localPath(to);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await rename(source, target);
    } catch (error) {
      throw this.translate(error, errno(error) === "ENOENT" ? from : to);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.localPath(key));
    } catch (error) {
      // Missing, or a folder (not an object): nothing to delete, as on S3.
      const code = errno(error);
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return;
      throw this.translate(error, key);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertFolderPrefix(prefix);
    let count = 0;
    for await (const { key } of this.list(prefix)) {
      await this.delete(key);
      count++;
    }
    await pruneEmptyFolders(path.join(this.root, ...prefix.slice(0, -1).split("/")));
    return count;
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    assertPrefix(prefix);
    // Walk only the deepest folder the prefix names, then filter by the rest of it.
    const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const keys: string[] = [];
    try {
      for await (const key of walkFiles(this.root, folder)) {
        if (key.startsWith(prefix)) keys.push(key);
      }
    } catch (error) {
      throw this.translate(error, prefix);
    }
    // Byte order of UTF-8 keys, as S3 lists them.
    keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const key of keys) {
      const info = await this.head(key);
      if (info) yield info; // deleted since the walk: skip
    }
  }

  toLocalFile(key: string, file: string, options: { sha256?: string } = {}): Promise<LocalCopy> {
    return copyToLocalFile(this, key, file, options);
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw this.translate(error, "");
    }
  }

  async removeIncomplete(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for await (const file of walkTempFiles(this.root)) {
      try {
        if ((await stat(file)).mtimeMs < cutoff) {
          await unlink(file);
          removed++;
        }
      } catch {
        // Renamed into place or removed meanwhile.
      }
    }
    return removed;
  }

  close(): void {}

  private notFound(key: string) {
    return new BlobError("not_found", `The stored file "${key}" does not exist.`);
  }

  /** File-system errors in the operator's terms; the original stays in `cause`. */
  private translate(error: unknown, key: string): unknown {
    if (error instanceof BlobError) return error;
    switch (errno(error)) {
      case "ENOENT":
        return this.notFound(key);
      case "ENOTDIR":
      case "EISDIR":
        return new BlobError(
          "invalid_key",
          `The storage key "${key}" clashes with a folder or file of the same name in the data directory.`,
          { cause: error },
        );
      case "ENOSPC":
      case "EDQUOT":
      case "EFBIG":
        return new BlobError("storage_full", "The data directory has no room left.", {
          cause: error,
        });
      case "EACCES":
      case "EPERM":
      case "EROFS":
        return new BlobError(
          "misconfigured",
          `The data directory ${this.root} cannot be written or read by this process.`,
          { cause: error },
        );
      default:
        return new BlobError("failed", `Storing or reading "${key}" failed.`, { cause: error });
    }
  }
}

function etagOf(info: { size: number; mtimeMs: number }) {
  return `"${info.size.toString(16)}-${Math.floor(info.mtimeMs * 1000).toString(16)}"`;
}

/** Keys of the regular files under `root/folder` (not following links, no temp files). */
async function* walkFiles(root: string, folder: string): AsyncGenerator<string> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(path.join(root, ...(folder ? folder.split("/") : [])), {
      withFileTypes: true,
    });
  } catch (error) {
    if (errno(error) === "ENOENT" || errno(error) === "ENOTDIR") return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(TEMP_MARKER)) continue;
    const key = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory()) yield* walkFiles(root, key);
    else if (entry.isFile()) yield key;
  }
}

async function* walkTempFiles(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walkTempFiles(full);
    else if (entry.isFile() && entry.name.startsWith(TEMP_MARKER)) yield full;
  }
}

/** Removes `dir` and the folders under it that hold nothing; keeps any that fill meanwhile. */
async function pruneEmptyFolders(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) await pruneEmptyFolders(path.join(dir, entry.name));
  }
  await rmdir(dir).catch(() => {});
}
