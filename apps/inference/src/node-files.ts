// How a process of this node reaches the installation's bytes (uploads, weights, results,
// renditions, staged files under incoming/): through the blob store (@studio/blob), never
// through a disk shared with the web app. Each process (the HTTP server, the worker process)
// opens this once. With the local store (the default) an object is read in place under
// DATA_DIR, exactly as before; with a remote store it is read through a bounded local cache in
// a folder of this process alone (BlobCache locks its folder), DATA_DIR/cache/blobs/<role>.
// official/ is node-local either way: every machine fetches and verifies its official models
// at setup, so it is read from this node's DATA_DIR.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, realpath, rm, stat } from "node:fs/promises";
import path from "node:path";
import { BlobCache } from "@studio/blob/cache";
import { createBlobStore } from "@studio/blob/create";
import type { BlobStoreConfig } from "@studio/blob/env";
import { BlobError } from "@studio/blob/errors";
import { assertKey } from "@studio/blob/keys";
import type { BlobStore, PutOptions, PutResult } from "@studio/blob/store";
import { INCOMING_PREFIX } from "@studio/contracts/inference/store-key";

/** A local file with an object's bytes; keep it until `release()` (the cache may evict it). */
export interface AcquiredFile {
  key: string;
  path: string;
  release(): void;
}

/** Keys under these folders live in this node's DATA_DIR, whatever the store. */
const NODE_LOCAL_PREFIXES = ["official/"];

const MIB = 1024 * 1024;

export interface NodeFilesOptions {
  dataDir: string;
  blob: BlobStoreConfig;
  /** Budget of this process's cache (remote store only). */
  cacheMb: number;
  /**
   * Which process opens it ("server", "worker", ...): names its cache folder, since one cache
   * folder serves one process.
   */
  role: string;
}

export class NodeFiles {
  private constructor(
    readonly store: BlobStore,
    readonly dataDir: string,
    /** Null with the local store: objects are read in place. */
    private readonly cache: BlobCache | null,
  ) {}

  static async open(options: NodeFilesOptions): Promise<NodeFiles> {
    return NodeFiles.around(createBlobStore(options.blob), options);
  }

  /** Around a store the caller made (tests share one S3 client this way). */
  static async around(
    store: BlobStore,
    options: Omit<NodeFilesOptions, "blob">,
  ): Promise<NodeFiles> {
    const cache =
      store.kind === "local"
        ? null
        : await BlobCache.open({
            store,
            dir: path.join(options.dataDir, "cache", "blobs", options.role),
            maxBytes: options.cacheMb * MIB,
          });
    return new NodeFiles(store, path.resolve(options.dataDir), cache);
  }

  get kind(): BlobStore["kind"] {
    return this.store.kind;
  }

  /**
   * A local file with the object's bytes. Local store (and official/): the object's own file,
   * its real path (links followed) required to stay inside the key's top folder, so a link
   * planted in incoming/ cannot make a node read weights/ or anything outside DATA_DIR. Remote
   * store: the cached copy, downloaded when missing (weights/<sha256> keys verified).
   * With `transient` (default for staged keys under incoming/, read once) a remote object is
   * copied to a temp file of this node instead, removed on release, so one-off uploads do not
   * push weights out of the cache.
   * Throws BlobError: `not_found`, `invalid_key` (a bad key or a path that leaves its folder),
   * `unavailable` (the store cannot be reached), ...
   */
  async acquire(key: string, options: { transient?: boolean } = {}): Promise<AcquiredFile> {
    assertKey(key);
    if (!this.cache || isNodeLocal(key)) {
      return { key, path: await this.ownFile(key), release: () => {} };
    }
    if (options.transient ?? key.startsWith(INCOMING_PREFIX)) {
      const tmpDir = path.join(this.dataDir, "tmp");
      await mkdir(tmpDir, { recursive: true });
      const file = path.join(tmpDir, `blob-${randomBytes(12).toString("hex")}${extensionOf(key)}`);
      await this.store.toLocalFile(key, file);
      return { key, path: file, release: () => void rm(file, { force: true }) };
    }
    const cached = await this.cache.acquire(key);
    return { key, path: cached.path, release: cached.release };
  }

  /** The whole object in memory (an image to check); never cached. */
  async readBytes(key: string): Promise<Buffer> {
    assertKey(key);
    if (this.cache && !isNodeLocal(key)) return this.store.getBytes(key);
    const file = await this.ownFile(key);
    try {
      return await readFile(file);
    } catch (error) {
      // Removed since it was found (the caller gave up on its upload, say).
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new BlobError("not_found", `The stored file "${key}" does not exist.`);
      }
      throw error;
    }
  }

  /**
   * Stores a finished local temp file under `key`. The file is handed over (the local store
   * renames it into place; a remote one uploads it, then removes it) and is gone afterwards,
   * stored or not: a failed put leaves neither the file nor a partial object.
   */
  async storeFile(key: string, file: string, options: PutOptions = {}): Promise<PutResult> {
    try {
      return await this.store.put(key, { file, consume: true }, options);
    } finally {
      await rm(file, { force: true });
    }
  }

  storeBytes(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    return this.store.put(key, bytes, options);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.store.head(key)) !== null;
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key);
  }

  /** Releases the cache folder and the store's connections; cached files stay for next time. */
  close(): void {
    this.cache?.close();
    this.store.close();
  }

  /** The file of a key kept on this machine (local store, official/), checked as `acquire` says. */
  private async ownFile(key: string): Promise<string> {
    const slash = key.indexOf("/");
    const top = slash < 0 ? "" : key.slice(0, slash);
    const where = (k: string) =>
      isNodeLocal(key) ? path.join(this.dataDir, ...k.split("/")) : this.store.localPath(k);
    const file = where(key);
    // Any key directly under `top` lies in its folder.
    const sibling = where(top ? `${top}/x` : "x");
    if (file === null || sibling === null) throw new Error(`${key} is not kept on this machine`);
    let resolved: string;
    let folder: string;
    let isFile: boolean;
    try {
      resolved = await realpath(file);
      folder = await realpath(path.dirname(sibling));
      // Inside the try: the file may be deleted between these calls (its image being deleted).
      isFile = (await stat(resolved)).isFile();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        throw new BlobError("not_found", `The stored file "${key}" does not exist.`);
      }
      throw new BlobError("failed", `Reading "${key}" failed.`, { cause: error });
    }
    if (!resolved.startsWith(`${folder}${path.sep}`)) {
      const where = top ? `${top}/` : "the data directory";
      throw new BlobError("invalid_key", `The stored file "${key}" leaves ${where}.`);
    }
    if (!isFile) {
      throw new BlobError("not_found", `The stored file "${key}" is not a file.`);
    }
    return resolved;
  }
}

/** The key's extension (".onnx"), kept on temp copies for tools that go by it. */
function extensionOf(key: string): string {
  return /\.[A-Za-z0-9]{1,12}$/.exec(key.slice(key.lastIndexOf("/") + 1))?.[0] ?? "";
}

function isNodeLocal(key: string): boolean {
  return NODE_LOCAL_PREFIXES.some((prefix) => key.startsWith(prefix));
}
