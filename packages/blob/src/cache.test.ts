// BlobCache on a real remote store (s3rver through the AWS SDK), as an inference node uses it.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BlobCache } from "./cache";
import { BlobError } from "./errors";
import { TEMP_MARKER } from "./keys";
import { LocalBlobStore } from "./local";
import { S3BlobStore } from "./s3";
import type { BlobStore } from "./store";
import { startTestS3Server, type TestS3Server } from "./testing";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The real store, counting the downloads the cache asks of it. */
function counting(store: BlobStore) {
  const fetched: string[] = [];
  const counted: BlobStore = Object.create(store);
  counted.toLocalFile = (key, file, options) => {
    fetched.push(key);
    return store.toLocalFile(key, file, options);
  };
  return { store: counted, fetched };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe("BlobCache", () => {
  let server: TestS3Server;
  let remote: S3BlobStore;
  let dir: string;
  const open: BlobCache[] = [];
  const openCache = async (store: BlobStore, maxBytes: number) => {
    const cache = await BlobCache.open({ store, dir, maxBytes });
    open.push(cache);
    return cache;
  };

  beforeAll(async () => {
    server = await startTestS3Server();
    remote = new S3BlobStore(server.config);
    for (const name of ["a", "b", "c", "d"]) {
      await remote.put(`inputs/${name}`, Buffer.alloc(100, name));
    }
  });
  afterAll(async () => {
    remote?.close();
    await server?.cleanup();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "studio-blob-cache-"));
  });
  afterEach(async () => {
    for (const cache of open.splice(0)) cache.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("fetches once, then serves the local copy", async () => {
    const { store, fetched } = counting(remote);
    const cache = await openCache(store, 1000);
    const first = await cache.acquire("inputs/a");
    expect(first.size).toBe(100);
    expect(await readFile(first.path)).toEqual(Buffer.alloc(100, "a"));
    first.release();
    const again = await cache.use("inputs/a", (file) => readFile(file));
    expect(again).toEqual(Buffer.alloc(100, "a"));
    expect(fetched).toEqual(["inputs/a"]);
    expect(cache.keys()).toEqual(["inputs/a"]);
    expect(cache.bytes).toBe(100);
  });

  it("evicts the least recently used entries to stay within its byte budget", async () => {
    const { store, fetched } = counting(remote);
    const cache = await openCache(store, 300);
    for (const key of ["inputs/a", "inputs/b", "inputs/c"]) await cache.use(key, () => {});
    await cache.use("inputs/a", () => {}); // a is now the most recent; b the least
    await cache.use("inputs/d", () => {});
    expect(cache.keys()).toEqual(["inputs/c", "inputs/a", "inputs/d"]);
    expect(cache.bytes).toBe(300);
    expect(await filesUnder(path.join(dir, "objects"))).toEqual([
      path.join("inputs", "a"),
      path.join("inputs", "c"),
      path.join("inputs", "d"),
    ]);
    await cache.use("inputs/b", () => {}); // evicted, so fetched again, and c goes
    expect(fetched.filter((k) => k === "inputs/b")).toHaveLength(2);
    expect(cache.keys()).toEqual(["inputs/a", "inputs/d", "inputs/b"]);
  });

  it("does not evict an entry while it is in use", async () => {
    const cache = await openCache(remote, 150);
    const held = await cache.acquire("inputs/a");
    await cache.use("inputs/b", () => {}); // over budget: b is free, so b goes
    expect(cache.keys()).toEqual(["inputs/a"]);
    const alsoHeld = await cache.acquire("inputs/c");
    expect(cache.keys()).toEqual(["inputs/a", "inputs/c"]); // both in use: over budget for now
    expect(await readFile(held.path)).toEqual(Buffer.alloc(100, "a"));
    held.release();
    held.release(); // twice is harmless
    expect(cache.keys()).toEqual(["inputs/c"]);
    expect(existsSync(held.path)).toBe(false);
    alsoHeld.release();
    expect(cache.bytes).toBe(100);
  });

  it("fetches a key once however many callers ask for it at the same time", async () => {
    const { store, fetched } = counting(remote);
    const cache = await openCache(store, 10_000);
    const files = await Promise.all(Array.from({ length: 12 }, () => cache.acquire("inputs/c")));
    expect(fetched).toEqual(["inputs/c"]);
    expect(new Set(files.map((f) => f.path)).size).toBe(1);
    // Each caller holds the entry: with a zero budget it survives until the last one lets go.
    for (const file of files) expect(await readFile(file.path)).toEqual(Buffer.alloc(100, "c"));
    const last = files.pop();
    for (const file of files) file.release();
    expect(cache.has("inputs/c")).toBe(true);
    last?.release();
  });

  it("keeps every concurrent caller's copy even when the budget is zero", async () => {
    const cache = await openCache(remote, 0);
    const files = await Promise.all(Array.from({ length: 5 }, () => cache.acquire("inputs/d")));
    for (const file of files) expect(existsSync(file.path)).toBe(true);
    for (const file of files) file.release();
    expect(cache.keys()).toEqual([]);
    expect(await filesUnder(path.join(dir, "objects"))).toEqual([]);
  });

  it("verifies a content-addressed weight and keeps nothing when it does not match", async () => {
    const weight = Buffer.from("real model bytes");
    const goodKey = `weights/${sha256(weight)}.onnx`;
    const badKey = `weights/${sha256(Buffer.from("something else"))}.onnx`;
    await remote.put(goodKey, weight);
    await remote.put(badKey, weight); // stored under the wrong name, as a corrupted copy would be
    const { store, fetched } = counting(remote);
    const cache = await openCache(store, 10_000);

    expect(await cache.use(goodKey, (file) => readFile(file))).toEqual(weight);
    const attempts = await Promise.allSettled([cache.acquire(badKey), cache.acquire(badKey)]);
    for (const attempt of attempts) {
      expect(attempt.status).toBe("rejected");
      const error = (attempt as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(BlobError);
      expect(error.code).toBe("integrity");
    }
    expect(cache.keys()).toEqual([goodKey]);
    expect(await filesUnder(path.join(dir, "objects"))).toEqual([
      path.join("weights", `${sha256(weight)}.onnx`),
    ]);
    // Not remembered as failed: the next call tries again (and fails again).
    await expect(cache.acquire(badKey)).rejects.toMatchObject({ code: "integrity" });
    expect(fetched.filter((k) => k === badKey)).toHaveLength(2);
  });

  it("keeps its entries, in order, across a restart and drops interrupted downloads", async () => {
    const first = await openCache(remote, 1000);
    for (const key of ["inputs/a", "inputs/b", "inputs/c"]) await first.use(key, () => {});
    // Make the order visible to a file system with coarse timestamps.
    const objects = path.join(dir, "objects", "inputs");
    const base = Date.now() / 1000 - 100;
    for (const [i, name] of ["b", "c", "a"].entries()) {
      await utimes(path.join(objects, name), base + i, base + i);
    }
    await writeFile(path.join(objects, `${TEMP_MARKER}half-downloaded`), "partial");
    first.close();

    const { store, fetched } = counting(remote);
    const again = await openCache(store, 250); // a smaller budget than before
    expect(again.keys()).toEqual(["c", "a"].map((n) => `inputs/${n}`)); // b was the oldest
    expect(again.bytes).toBe(200);
    expect(existsSync(path.join(objects, `${TEMP_MARKER}half-downloaded`))).toBe(false);
    expect(await again.use("inputs/a", (file) => readFile(file))).toEqual(Buffer.alloc(100, "a"));
    expect(fetched).toEqual([]);
  });

  it("lets only one cache use a folder at a time", async () => {
    const cache = await openCache(remote, 1000);
    await expect(BlobCache.open({ store: remote, dir, maxBytes: 1000 })).rejects.toThrow(
      /in use by process/,
    );
    cache.close();
    const next = await openCache(remote, 1000);
    expect(next.keys()).toEqual([]);
  });

  it("reads a local store's files in place instead of copying them", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "studio-blob-cache-local-"));
    try {
      const local = new LocalBlobStore(root);
      await local.put("weights/w.onnx", Buffer.from("weights"));
      const cache = await openCache(local, 1000);
      const file = await cache.acquire("weights/w.onnx");
      expect(file.path).toBe(path.join(root, "weights", "w.onnx"));
      file.release();
      expect(cache.bytes).toBe(0);
      await expect(cache.acquire("weights/missing.onnx")).rejects.toMatchObject({
        code: "not_found",
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("reports a missing object and a store that is down", async () => {
    const cache = await openCache(remote, 1000);
    await expect(cache.acquire("inputs/none")).rejects.toMatchObject({ code: "not_found" });
    // The server is stopped before any call: every attempt is refused at once, whatever the
    // machine's speed (the default time-out only matters for a server that hangs).
    const down = new S3BlobStore({ ...server.config, maxAttempts: 1 });
    const downDir = await mkdtemp(path.join(tmpdir(), "studio-blob-cache-down-"));
    try {
      await server.stop();
      const offline = await BlobCache.open({ store: down, dir: downDir, maxBytes: 1000 });
      await expect(offline.acquire("inputs/a")).rejects.toMatchObject({ code: "unavailable" });
      offline.close();
      expect(await filesUnder(path.join(downDir, "objects"))).toEqual([]);
    } finally {
      down.close();
      await server.restart();
      await rm(downDir, { recursive: true, force: true });
    }
  });
});
