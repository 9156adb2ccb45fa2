// A bounded local copy of objects an inference node uses (weights above all, also inputs), so a
// node never needs a shared disk: objects are fetched from the store once into a folder of this
// machine and kept, least recently used first out, within a byte budget.
//
// Hand-written because no maintained npm cache covers what this needs together: files on disk
// (onnxruntime and sharp want paths), entries pinned while in use, one fetch per key under
// concurrency, verification of content-addressed keys, and an index rebuilt from the folder
// after a restart.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readdir, stat, unlink, utimes } from "node:fs/promises";
import path from "node:path";
import { BlobError } from "./errors";
import { assertKey, sha256FromKey, TEMP_MARKER } from "./keys";
import type { BlobStore } from "./store";

export interface BlobCacheOptions {
  store: BlobStore;
  /** A folder of this machine for this process alone (it is locked while open). */
  dir: string;
  /** Budget for the cached files; entries in use are kept even beyond it. */
  maxBytes: number;
  /**
   * The sha256 an object under `key` must have, or null to take it as it comes. Default: the
   * 64 hex digits a content-addressed name starts with (`weights/<sha256>.onnx`).
   */
  expectedSha256?: (key: string) => string | null;
}

/** A cached file, pinned until `release()`: it is not evicted while a caller reads it. */
export interface CachedFile {
  key: string;
  path: string;
  size: number;
  release(): void;
}

interface Entry {
  key: string;
  path: string;
  size: number;
  refs: number;
}

interface Flight {
  promise: Promise<Entry>;
  /** Callers waiting for this fetch; each gets one reference on the new entry. */
  waiters: number;
}

const LOCK_FILE = "owner.pid";
/** Cache folders open in this process (the pid lock cannot tell two of ours apart). */
const openDirs = new Set<string>();

export class BlobCache {
  private readonly store: BlobStore;
  private readonly objects: string;
  private readonly expectedSha256: (key: string) => string | null;
  /** In least-recently-used-first order (a Map iterates in insertion order). */
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Flight>();
  private total = 0;
  private closed = false;

  private constructor(
    private readonly options: BlobCacheOptions,
    private readonly lockPath: string,
  ) {
    this.store = options.store;
    this.objects = path.join(path.resolve(options.dir), "objects");
    this.expectedSha256 = options.expectedSha256 ?? sha256FromKey;
  }

  /** Opens (or creates) the cache folder and rebuilds the index from the files in it. */
  static async open(options: BlobCacheOptions): Promise<BlobCache> {
    if (!(options.maxBytes >= 0)) throw new Error("BlobCache maxBytes must be a number >= 0");
    const dir = path.resolve(options.dir);
    await mkdir(path.join(dir, "objects"), { recursive: true });
    const lockPath = path.join(dir, LOCK_FILE);
    if (openDirs.has(dir)) throw inUse(dir, process.pid);
    takeLock(lockPath);
    openDirs.add(dir);
    const cache = new BlobCache(options, lockPath);
    try {
      await cache.rebuild();
    } catch (error) {
      cache.close();
      throw error;
    }
    return cache;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.total;
  }

  /** Keys held now, least recently used first (what a node reports as the weights it has). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * A local file with the object's bytes, fetched from the store if not cached. Concurrent
   * calls for one key share one fetch. Release the result when done with the file.
   * When the store keeps its objects as local files already, their own path is returned.
   */
  async acquire(key: string): Promise<CachedFile> {
    assertKey(key);
    if (this.closed) throw new Error("BlobCache is closed");
    const own = this.store.localPath(key);
    if (own !== null) {
      const info = await this.store.head(key);
      if (!info) throw new BlobError("not_found", `The stored file "${key}" does not exist.`);
      return { key, path: own, size: info.size, release: () => {} };
    }
    const cached = this.entries.get(key);
    if (cached) {
      cached.refs++;
      this.touch(cached);
      return this.lease(cached);
    }
    let flight = this.inflight.get(key);
    if (!flight) {
      const started: Flight = { waiters: 0, promise: Promise.resolve(undefined as never) };
      started.promise = this.fetch(key, started);
      this.inflight.set(key, started);
      flight = started;
    }
    flight.waiters++;
    return this.lease(await flight.promise);
  }

  /** Runs `fn` with the object's local path and releases it afterwards. */
  async use<T>(key: string, fn: (file: string) => Promise<T> | T): Promise<T> {
    const file = await this.acquire(key);
    try {
      return await fn(file.path);
    } finally {
      file.release();
    }
  }

  /** Stops using the folder (releases its lock); files stay for the next start. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    rmSync(this.lockPath, { force: true });
    openDirs.delete(path.dirname(this.lockPath));
  }

  private async fetch(key: string, flight: Flight): Promise<Entry> {
    try {
      const file = path.join(this.objects, ...key.split("/"));
      const expected = this.expectedSha256(key);
      // toLocalFile writes a temp name and renames: a partial download is never under `file`,
      // and a mismatching one is removed before we hear about it.
      const copy = await this.store.toLocalFile(key, file, expected ? { sha256: expected } : {});
      // Every caller that joined before this point holds a reference, so the new entry cannot
      // be evicted before they get it.
      const entry: Entry = { key, path: file, size: copy.size, refs: flight.waiters };
      this.add(entry);
      this.evict();
      return entry;
    } finally {
      this.inflight.delete(key);
    }
  }

  private lease(entry: Entry): CachedFile {
    let released = false;
    return {
      key: entry.key,
      path: entry.path,
      size: entry.size,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        this.evict();
      },
    };
  }

  private add(entry: Entry) {
    this.entries.set(entry.key, entry);
    this.total += entry.size;
  }

  private touch(entry: Entry) {
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
    // The modification time carries the order across restarts; losing one update is harmless.
    const now = new Date();
    utimes(entry.path, now, now).catch(() => {});
  }

  /** Drops least recently used entries nobody holds until the cache fits its budget. */
  private evict() {
    if (this.total <= this.options.maxBytes) return;
    for (const entry of this.entries.values()) {
      if (this.total <= this.options.maxBytes) break;
      if (entry.refs > 0) continue;
      // Synchronous, so a fetch of the same key that starts right after cannot have its new
      // file removed by this deletion.
      rmSync(entry.path, { force: true });
      this.entries.delete(entry.key);
      this.total -= entry.size;
    }
  }

  /**
   * Files under objects/ were renamed into place only after a complete (and, for
   * content-addressed keys, verified) download, so they are trusted as they are; temp files of
   * a download cut short by a crash are removed.
   */
  private async rebuild() {
    const found: { key: string; path: string; size: number; mtimeMs: number }[] = [];
    for await (const file of walk(this.objects, "")) {
      if (path.basename(file.path).startsWith(TEMP_MARKER)) {
        await unlink(file.path).catch(() => {});
        continue;
      }
      if (!isValidKey(file.key)) continue; // not ours: leave it alone, do not count it
      const info = await stat(file.path);
      found.push({ key: file.key, path: file.path, size: info.size, mtimeMs: info.mtimeMs });
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of found) this.add({ key: f.key, path: f.path, size: f.size, refs: 0 });
    this.evict(); // the budget may be smaller than at the last run
  }
}

function isValidKey(key: string) {
  try {
    assertKey(key);
    return true;
  } catch {
    return false;
  }
}

async function* walk(dir: string, prefix: string): AsyncGenerator<{ key: string; path: string }> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const key = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full, key);
    else if (entry.isFile()) yield { key, path: full };
  }
}

/**
 * One process per cache folder: two would evict files the other is about to open. A lock left by
 * a process that no longer runs (or by this very pid, after a container restart) is taken over.
 */
function takeLock(lockPath: string) {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number(readFileSync(lockPath, "utf8").trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
      throw inUse(path.dirname(lockPath), owner);
    }
    rmSync(lockPath, { force: true });
  }
  throw new BlobError("failed", `The cache folder ${path.dirname(lockPath)} could not be locked.`);
}

const inUse = (dir: string, pid: number) =>
  new BlobError(
    "failed",
    `The cache folder ${dir} is in use by process ${pid}; give each process its own folder.`,
  );

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
