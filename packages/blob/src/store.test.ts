// One contract for every BlobStore: the same tests run against the local directory and against a
// real S3 server (s3rver in a child process, spoken to through the AWS SDK only).

import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobError } from "./errors";
import { TEMP_MARKER } from "./keys";
import { LocalBlobStore } from "./local";
import { S3BlobStore } from "./s3";
import type { BlobStore } from "./store";
import { startTestS3Server, type TestS3Server } from "./testing";

const MiB = 1024 * 1024;
const PART = 5 * MiB; // the smallest part S3 allows, so a multipart test stays small

interface Backend {
  store: BlobStore;
  /** Writes in progress (or left behind): local temp files, pending S3 multipart uploads. */
  pendingWrites(): Promise<number>;
  /** Leaves behind what a crash in the middle of a write would. */
  simulateInterruptedWrite(): Promise<void>;
  keepsContentType: boolean;
  cleanup(): Promise<void>;
}

async function countTempFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.startsWith(TEMP_MARKER)).length;
}

const backends: { name: string; setup(): Promise<Backend> }[] = [
  {
    name: "local directory",
    async setup() {
      const root = await mkdtemp(path.join(tmpdir(), "studio-blob-local-"));
      return {
        store: new LocalBlobStore(root),
        pendingWrites: () => countTempFiles(root),
        async simulateInterruptedWrite() {
          await writeFile(path.join(root, `${TEMP_MARKER}crashed`), "half");
        },
        keepsContentType: false,
        cleanup: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "S3 (s3rver)",
    async setup() {
      const server: TestS3Server = await startTestS3Server();
      // A prefix, as an installation sharing a bucket would use; keys must come back without it.
      const store = new S3BlobStore({ ...server.config, prefix: "install-a", partSize: PART });
      const pending = async () =>
        (
          await store.client.send(
            new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: store.prefix }),
          )
        ).Uploads?.length ?? 0;
      return {
        store,
        pendingWrites: pending,
        async simulateInterruptedWrite() {
          const { CreateMultipartUploadCommand, UploadPartCommand } = await import(
            "@aws-sdk/client-s3"
          );
          const Key = `${store.prefix}crashed/object`;
          const { UploadId } = await store.client.send(
            new CreateMultipartUploadCommand({ Bucket: server.bucket, Key }),
          );
          await store.client.send(
            new UploadPartCommand({
              Bucket: server.bucket,
              Key,
              UploadId,
              PartNumber: 1,
              Body: Buffer.alloc(PART),
            }),
          );
        },
        keepsContentType: true,
        async cleanup() {
          store.close();
          await server.cleanup();
        },
      };
    },
  },
];

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function blobError(promise: Promise<unknown>): Promise<BlobError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BlobError);
    return error as BlobError;
  }
  throw new Error("expected the call to fail");
}

/** Polls until a write shows as pending: a slow machine only waits longer (the test timeout bounds it). */
async function untilPendingIn(b: Backend): Promise<number> {
  for (;;) {
    const pending = await b.pendingWrites();
    if (pending > 0) return pending;
    await sleep(10);
  }
}

/** `total` bytes of a cheap pseudo-random pattern (differs from part to part). */
function bytesOf(total: number, seed = 1): Buffer {
  const out = Buffer.alloc(total);
  for (let i = 0; i + 4 <= total; i += 4)
    out.writeUInt32LE((Math.imul(i, 2654435761) + seed) >>> 0, i);
  return out;
}

function chunked(bytes: Buffer, chunk = MiB): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    })(),
  );
}

describe.each(backends)("BlobStore contract: $name", ({ setup }) => {
  let b: Backend;
  let store: BlobStore;
  let scratch: string;
  let untilPending: () => Promise<number>;

  beforeAll(async () => {
    b = await setup();
    store = b.store;
    untilPending = () => untilPendingIn(b);
    scratch = await mkdtemp(path.join(tmpdir(), "studio-blob-scratch-"));
  });
  afterAll(async () => {
    await b?.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  it("stores bytes from memory, a stream and a file, and reads them back", async () => {
    const data = randomBytes(3000);
    const fromMemory = await store.put("put/memory.bin", data, { contentType: "image/png" });
    expect(fromMemory).toEqual({ key: "put/memory.bin", size: 3000, sha256: sha256(data) });

    const fromStream = await store.put("put/stream.bin", chunked(data, 700));
    expect(fromStream.sha256).toBe(sha256(data));

    const file = path.join(scratch, "source.bin");
    await writeFile(file, data);
    const fromFile = await store.put("put/file.bin", { file });
    expect(fromFile.size).toBe(3000);
    expect(existsSync(file)).toBe(true); // the caller's file is left alone

    for (const key of ["put/memory.bin", "put/stream.bin", "put/file.bin"]) {
      expect(Buffer.compare(await store.getBytes(key), data)).toBe(0);
      const got = await store.get(key);
      expect(got.size).toBe(3000);
      expect(got.length).toBe(3000);
      expect(got.range).toBeUndefined();
      expect(Buffer.compare(await readAll(got.body), data)).toBe(0);
    }

    const info = await store.head("put/memory.bin");
    expect(info).toMatchObject({ key: "put/memory.bin", size: 3000 });
    expect(info?.etag).toBeTruthy();
    expect(info?.lastModified).toBeInstanceOf(Date);
    if (b.keepsContentType) {
      expect(info?.contentType).toBe("image/png");
      expect((await store.get("put/memory.bin")).contentType).toBe("image/png");
    }
    expect(await store.exists("put/memory.bin")).toBe(true);
  });

  it("stores an empty object", async () => {
    expect((await store.put("empty/zero", Buffer.alloc(0))).size).toBe(0);
    expect((await store.getBytes("empty/zero")).length).toBe(0);
    expect((await store.head("empty/zero"))?.size).toBe(0);
    expect((await store.put("empty/stream", Readable.from([]))).size).toBe(0);
    expect((await store.getBytes("empty/stream")).length).toBe(0);
  });

  it("replaces an object and changes its etag", async () => {
    await store.put("replace/x", Buffer.from("first version"));
    const before = await store.head("replace/x");
    await store.put("replace/x", Buffer.from("second, longer version"));
    const after = await store.head("replace/x");
    expect((await store.getBytes("replace/x")).toString()).toBe("second, longer version");
    expect(after?.etag).not.toBe(before?.etag);
  });

  it("serves byte ranges like an HTTP server", async () => {
    const data = Buffer.from("0123456789");
    await store.put("range/digits", data);
    const middle = await store.get("range/digits", { range: { start: 2, end: 5 } });
    expect(middle).toMatchObject({ size: 10, length: 4, range: { start: 2, end: 5 } });
    expect((await readAll(middle.body)).toString()).toBe("2345");

    const tail = await store.get("range/digits", { range: { start: 7 } });
    expect(tail).toMatchObject({ length: 3, range: { start: 7, end: 9 } });
    expect((await readAll(tail.body)).toString()).toBe("789");

    const clamped = await store.get("range/digits", { range: { start: 8, end: 100 } });
    expect(clamped).toMatchObject({ length: 2, range: { start: 8, end: 9 } });
    expect((await readAll(clamped.body)).toString()).toBe("89");

    expect((await blobError(store.get("range/digits", { range: { start: 10 } }))).code).toBe(
      "invalid_range",
    );
    expect((await blobError(store.get("range/digits", { range: { start: 5, end: 2 } }))).code).toBe(
      "invalid_range",
    );
    expect((await blobError(store.get("range/digits", { range: { start: -1 } }))).code).toBe(
      "invalid_range",
    );
  });

  it("reports a missing object as not_found (or null / false)", async () => {
    expect(await store.head("missing/object")).toBeNull();
    expect(await store.exists("missing/object")).toBe(false);
    const error = await blobError(store.get("missing/object"));
    expect(error.code).toBe("not_found");
    expect(error.message).toContain("missing/object");
    expect((await blobError(store.getBytes("missing/object"))).code).toBe("not_found");
    const target = path.join(scratch, "never.bin");
    expect((await blobError(store.toLocalFile("missing/object", target))).code).toBe("not_found");
    expect(existsSync(target)).toBe(false);
  });

  it("deletes an object, and deleting a missing one is not an error", async () => {
    await store.put("delete/me", Buffer.from("x"));
    await store.delete("delete/me");
    expect(await store.exists("delete/me")).toBe(false);
    await store.delete("delete/me");
    await store.delete("delete/never-existed");
  });

  it("lists by prefix in key order, across pages", async () => {
    const keys = [
      "list/a/1",
      "list/a/2",
      "list/a/3",
      "list/a/4",
      "list/a/5",
      "list/ab/1",
      "list/b",
    ];
    for (const [i, key] of [...keys].reverse().entries()) {
      await store.put(key, Buffer.alloc(i + 1));
    }
    const seen = [];
    // A page size of 2 makes S3 page three times for list/a/.
    for await (const info of store.list("list/a/", { pageSize: 2 })) seen.push(info);
    expect(seen.map((i) => i.key)).toEqual([
      "list/a/1",
      "list/a/2",
      "list/a/3",
      "list/a/4",
      "list/a/5",
    ]);
    expect(seen.map((i) => i.size)).toEqual([7, 6, 5, 4, 3]);
    expect(seen.every((i) => i.etag && i.lastModified instanceof Date)).toBe(true);

    // A prefix is a string prefix, as on S3: "list/a" also matches "list/ab/…".
    const loose = [];
    for await (const info of store.list("list/a", { pageSize: 3 })) loose.push(info.key);
    expect(loose).toEqual([...keys.slice(0, 6)]);

    const nothing = [];
    for await (const info of store.list("list/none/")) nothing.push(info);
    expect(nothing).toEqual([]);
  });

  it("deletes a whole folder prefix, and only that folder", async () => {
    for (let i = 0; i < 5; i++) await store.put(`results/task-1/${i}.png`, Buffer.from([i]));
    await store.put("results/task-1/nested/deep.json", Buffer.from("{}"));
    await store.put("results/task-10/keep.png", Buffer.from("keep"));
    expect(await store.deletePrefix("results/task-1/")).toBe(6);
    const left = [];
    for await (const info of store.list("results/")) left.push(info.key);
    expect(left).toEqual(["results/task-10/keep.png"]);
    expect(await store.deletePrefix("results/task-1/")).toBe(0);

    // Not a folder: would also take task-10, or everything.
    expect((await blobError(store.deletePrefix("results/task-1"))).code).toBe("invalid_key");
    expect((await blobError(store.deletePrefix(""))).code).toBe("invalid_key");
    expect(await store.exists("results/task-10/keep.png")).toBe(true);
  });

  it("refuses bad keys with invalid_key before touching anything", async () => {
    const bad = [
      "",
      "/etc/passwd",
      "../outside",
      "a/../../outside",
      "./a",
      "a//b",
      "a/",
      "a\\b",
      "a\u0000b",
      "line\nbreak",
      `a/${TEMP_MARKER}x`,
      "k".repeat(800),
      `a/${"s".repeat(256)}`,
    ];
    for (const key of bad) {
      const calls: Promise<unknown>[] = [
        store.put(key, Buffer.from("x")),
        store.get(key),
        store.getBytes(key),
        store.head(key),
        store.exists(key),
        store.delete(key),
        store.toLocalFile(key, path.join(scratch, "bad-key")),
      ];
      for (const call of calls) {
        const error = await blobError(call);
        expect(error.code, JSON.stringify(key)).toBe("invalid_key");
        expect(error.message.length).toBeGreaterThan(10);
      }
    }
    for (const prefix of ["/abs", "a//", "../x"]) {
      const list = async () => {
        for await (const _ of store.list(prefix)) break;
      };
      expect((await blobError(list())).code).toBe("invalid_key");
    }
  });

  it("accepts unusual but valid keys", async () => {
    for (const key of ["odd/with space/ü-ñé.txt", ".hidden/x", "a/b.c.d", "x-_~!$&'()+,;=@"]) {
      await store.put(key, Buffer.from(key));
      expect((await store.getBytes(key)).toString()).toBe(key);
      const listed = [];
      for await (const info of store.list(key)) listed.push(info.key);
      expect(listed).toContain(key);
    }
  });

  it("copies an object to a local file, verifying its sha256 when asked", async () => {
    const data = randomBytes(10_000);
    await store.put("copy/weights.onnx", data);
    const target = path.join(scratch, "copy", "weights.onnx");
    expect(await store.toLocalFile("copy/weights.onnx", target, { sha256: sha256(data) })).toEqual({
      size: 10_000,
      sha256: sha256(data),
    });
    expect(Buffer.compare(await readFile(target), data)).toBe(0);

    const refused = path.join(scratch, "copy", "refused.onnx");
    const error = await blobError(
      store.toLocalFile("copy/weights.onnx", refused, { sha256: "0".repeat(64) }),
    );
    expect(error.code).toBe("integrity");
    expect(existsSync(refused)).toBe(false);
    expect(await countTempFiles(scratch)).toBe(0);
  });

  it("refuses bytes that break the promised size or sha256 and keeps the old object", async () => {
    await store.put("promise/x", Buffer.from("original"));
    const cases = [
      () => store.put("promise/x", chunked(Buffer.from("short")), { size: 10 }),
      () => store.put("promise/x", chunked(Buffer.from("far too long")), { size: 3 }),
      () => store.put("promise/x", Buffer.from("abc"), { size: 4 }),
      () =>
        store.put("promise/x", chunked(Buffer.from("abc")), { sha256: sha256(Buffer.from("x")) }),
      () => store.put("promise/x", Buffer.from("abc"), { sha256: "f".repeat(64) }),
      () => store.put("promise/new", chunked(Buffer.from("abc")), { size: 99 }),
    ];
    for (const attempt of cases) expect((await blobError(attempt())).code).toBe("integrity");
    expect((await store.getBytes("promise/x")).toString()).toBe("original");
    expect(await store.exists("promise/new")).toBe(false);
    expect(await b.pendingWrites()).toBe(0);
    // A promise that holds is fine.
    const ok = Buffer.from("abc");
    await store.put("promise/ok", chunked(ok), { size: 3, sha256: sha256(ok) });
  });

  it("stores a big object in parts, invisible until complete", async () => {
    const data = bytesOf(2 * PART + 123_457);
    let sawPending = 0;
    let visibleEarly = true;
    async function* source() {
      yield data.subarray(0, 2 * PART);
      // Everything so far is on its way: a write is pending (temp file, multipart upload) and
      // the object is not visible yet. Wait for the pending write rather than for a time.
      sawPending = await untilPending();
      visibleEarly = await store.exists("big/object.bin");
      yield data.subarray(2 * PART);
    }
    const result = await store.put("big/object.bin", Readable.from(source()));
    expect(sawPending).toBe(1);
    expect(visibleEarly).toBe(false);
    expect(result).toEqual({ key: "big/object.bin", size: data.length, sha256: sha256(data) });
    expect(await b.pendingWrites()).toBe(0);
    expect((await store.head("big/object.bin"))?.size).toBe(data.length);
    expect(sha256(await store.getBytes("big/object.bin"))).toBe(sha256(data));
    // A range across the boundary between parts 1 and 2.
    const across = await store.get("big/object.bin", { range: { start: PART - 5, end: PART + 4 } });
    expect(Buffer.compare(await readAll(across.body), data.subarray(PART - 5, PART + 5))).toBe(0);
  });

  it("leaves nothing behind when the source fails midway (all or nothing)", async () => {
    await store.put("fail/object.bin", Buffer.from("previous"));
    const boom = new Error("the client went away");
    let sawPending = 0;
    async function* source() {
      yield bytesOf(2 * PART);
      sawPending = await untilPending();
      yield bytesOf(MiB);
      throw boom;
    }
    // The caller's own error comes back unchanged (an upload handler's "too large" stays that).
    await expect(store.put("fail/object.bin", Readable.from(source()))).rejects.toBe(boom);
    expect(sawPending).toBe(1);
    expect(await b.pendingWrites()).toBe(0);
    expect((await store.getBytes("fail/object.bin")).toString()).toBe("previous");

    async function* failsAtOnce() {
      yield Buffer.from("a little");
      throw boom;
    }
    await expect(store.put("fail/new.bin", Readable.from(failsAtOnce()))).rejects.toBe(boom);
    expect(await store.exists("fail/new.bin")).toBe(false);
    expect(await b.pendingWrites()).toBe(0);
  });

  it("takes a consumed file: stored whole, the caller's file gone, promises still checked", async () => {
    const data = randomBytes(5000);
    const file = path.join(scratch, "consumed.bin");
    await writeFile(file, data);
    const stored = await store.put("consume/ok.bin", { file, consume: true }, { size: 5000 });
    expect(stored).toEqual({ key: "consume/ok.bin", size: 5000, sha256: sha256(data) });
    expect(existsSync(file)).toBe(false);
    expect(Buffer.compare(await store.getBytes("consume/ok.bin"), data)).toBe(0);

    const wrong = path.join(scratch, "consumed-wrong.bin");
    await writeFile(wrong, data);
    const error = await blobError(
      store.put("consume/wrong.bin", { file: wrong, consume: true }, { sha256: "0".repeat(64) }),
    );
    expect(error.code).toBe("integrity");
    expect(await store.exists("consume/wrong.bin")).toBe(false);
  });

  it("moves an object to a new key, replacing what was there", async () => {
    const data = randomBytes(4000);
    await store.put("move/staged/a b.bin", data);
    await store.put("move/kept/a.bin", Buffer.from("old"));
    await store.move("move/staged/a b.bin", "move/kept/a.bin");
    expect(await store.exists("move/staged/a b.bin")).toBe(false);
    expect(Buffer.compare(await store.getBytes("move/kept/a.bin"), data)).toBe(0);
    const missing = await blobError(store.move("move/staged/none", "move/kept/b.bin"));
    expect(missing.code).toBe("not_found");
    expect(await store.exists("move/kept/b.bin")).toBe(false);
  });

  it("fails clearly when the file to store cannot be read", async () => {
    const error = await blobError(store.put("nofile/x", { file: path.join(scratch, "nope") }));
    expect(error.code).toBe("failed");
    expect(error.message).toMatch(/could not be read/);
    expect(await store.exists("nofile/x")).toBe(false);
  });

  it("removes what interrupted writes left behind", async () => {
    await b.simulateInterruptedWrite();
    expect(await b.pendingWrites()).toBe(1);
    expect(await store.removeIncomplete(60 * 60 * 1000)).toBe(0); // too young
    expect(await b.pendingWrites()).toBe(1);
    await sleep(20); // so "older than 1 ms" holds whatever the clock's resolution
    expect(await store.removeIncomplete(1)).toBe(1);
    expect(await b.pendingWrites()).toBe(0);
  });

  it("passes its health check and describes itself", async () => {
    await store.check();
    expect(store.description.length).toBeGreaterThan(3);
  });
});

describe("LocalBlobStore layout", () => {
  let root: string;
  let store: LocalBlobStore;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "studio-blob-layout-"));
    store = new LocalBlobStore(root);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("keeps objects where the data directory always kept them", async () => {
    // Files written by an older version, straight into DATA_DIR.
    const sha = "a".repeat(64);
    await mkdir(path.join(root, "weights"));
    await writeFile(path.join(root, "weights", `${sha}.onnx`), "model bytes");
    expect((await store.getBytes(`weights/${sha}.onnx`)).toString()).toBe("model bytes");
    expect(store.localPath(`weights/${sha}.onnx`)).toBe(path.join(root, "weights", `${sha}.onnx`));

    await store.put("results/t1/0001-a1.png", Buffer.from("png"));
    expect(await readFile(path.join(root, "results", "t1", "0001-a1.png"), "utf8")).toBe("png");
  });

  it("removes folders a prefix delete emptied, and skips temp files when listing", async () => {
    await store.put("results/t2/a.png", Buffer.from("a"));
    await writeFile(path.join(root, "results", "t2", `${TEMP_MARKER}inflight`), "half");
    const listed = [];
    for await (const info of store.list("results/t2/")) listed.push(info.key);
    expect(listed).toEqual(["results/t2/a.png"]);
    await rm(path.join(root, "results", "t2", `${TEMP_MARKER}inflight`));
    await store.deletePrefix("results/t2/");
    expect(existsSync(path.join(root, "results", "t2"))).toBe(false);
    expect(existsSync(path.join(root, "results", "t1", "0001-a1.png"))).toBe(true);
  });

  it("removes only temp files older than asked", async () => {
    const old = path.join(root, "uploads", `${TEMP_MARKER}old`);
    await store.put("uploads/real.png", Buffer.from("x"));
    await writeFile(old, "half");
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(old, hourAgo, hourAgo);
    await writeFile(path.join(root, "uploads", `${TEMP_MARKER}fresh`), "half");
    expect(await store.removeIncomplete(10 * 60 * 1000)).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(path.join(root, "uploads", `${TEMP_MARKER}fresh`))).toBe(true);
    expect(await store.exists("uploads/real.png")).toBe(true);
  });

  it("says so when a key collides with a folder", async () => {
    await store.put("clash/inner/file", Buffer.from("x"));
    const error = await blobError(store.put("clash/inner", Buffer.from("y")));
    expect(error.code).toBe("invalid_key");
    expect(error.message).toMatch(/clashes with a folder/);
    expect(await countTempFiles(path.join(root, "clash"))).toBe(0);
  });
});
