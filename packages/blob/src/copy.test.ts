// Moving a data directory's shared objects into an S3 bucket (s3rver): the right keys arrive
// byte for byte (one of them in multipart), what is per machine or regenerable stays behind, a
// second run does nothing, a stale object is replaced, a failure names its object and a re-run
// finishes the job, and the data directory is never touched.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobCopyError, type BlobCopyProgress, copyBlobs } from "./copy";
import { LocalBlobStore } from "./local";
import { S3BlobStore } from "./s3";
import { startTestS3Server, type TestS3Server } from "./testing";

const MiB = 1024 * 1024;
/** The smallest part S3 allows; the big result below is larger, so it goes up in parts. */
const PART_SIZE = 5 * MiB;
const TEAM = "team-7f3a";
const TASK = "task-0c1d";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const weight = randomBytes(40_000);

/** What an installation's data directory holds, by relative path. */
const installation: Record<string, Buffer> = {
  [`uploads/${TEAM}/1a2b.png`]: randomBytes(3_000),
  [`uploads/${TEAM}/datasets/ds-1/images/0001.jpg`]: randomBytes(12_345),
  [`weights/${sha256(weight)}.onnx`]: weight,
  [`results/${TASK}/item-1.png`]: randomBytes(20_000),
  [`results/${TASK}/item-1.prob.bin`]: randomBytes(PART_SIZE + 512 * 1024),
  // Regenerable, staging, per machine, not blobs at all: none of these may be copied.
  [`renditions/${TEAM}/img-thumb.v1.webp`]: randomBytes(500),
  "incoming/5e6f.png": randomBytes(700),
  "official/realesr-x4/model.onnx": randomBytes(900),
  "tmp/upload-123": randomBytes(100),
  "cache/weights/abc.onnx": randomBytes(100),
  "studio.db": randomBytes(4096),
  "studio.db-wal": randomBytes(1024),
};
const SHARED = /^(uploads|weights|results)\//;
const shared = Object.keys(installation)
  .filter((key) => SHARED.test(key))
  .sort();

function writeInstallation(files: Record<string, Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "blob-copy-src-"));
  for (const [key, bytes] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
    writeFileSync(path.join(dir, key), bytes);
  }
  return dir;
}

/** Every file under `dir` with its bytes' hash and modification time: "untouched" means equal. */
async function snapshot(dir: string) {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) =>
    e.isFile(),
  );
  const out: Record<string, { sha256: string; mtimeMs: number }> = {};
  for (const entry of files) {
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = {
      sha256: sha256(readFileSync(file)),
      mtimeMs: (await stat(file)).mtimeMs,
    };
  }
  return out;
}

async function keysOf(store: S3BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.list("")) keys.push(key);
  return keys.sort();
}

let server: TestS3Server;
const stores: S3BlobStore[] = [];
const dirs: string[] = [];

/** The bucket under a folder of its own, so each test starts from an empty target. */
function bucketAt(prefix: string) {
  const store = new S3BlobStore({ ...server.config, prefix, partSize: PART_SIZE });
  stores.push(store);
  return store;
}

function sourceOf(files: Record<string, Buffer>) {
  const dir = writeInstallation(files);
  dirs.push(dir);
  return { dir, store: new LocalBlobStore(dir) };
}

beforeAll(async () => {
  server = await startTestS3Server();
});
afterAll(async () => {
  for (const store of stores) store.close();
  await server?.cleanup();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("copyBlobs from a data directory to an S3 bucket", () => {
  it("copies uploads, weights and results byte for byte and nothing else, leaving the source as it was", async () => {
    const source = sourceOf(installation);
    const before = await snapshot(source.dir);
    const bucket = bucketAt("move-1");
    const progress: BlobCopyProgress[] = [];
    const sent: string[] = [];
    bucket.client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(context.commandName ?? "");
        return next(args);
      },
      { step: "initialize" },
    );

    const counts = await copyBlobs(source.store, bucket, { onProgress: (p) => progress.push(p) });

    const size = (key: string) => installation[key]?.length ?? 0;
    expect(counts).toEqual([
      {
        prefix: "uploads/",
        copied: 2,
        skipped: 0,
        bytes:
          size(`uploads/${TEAM}/1a2b.png`) + size(`uploads/${TEAM}/datasets/ds-1/images/0001.jpg`),
      },
      { prefix: "weights/", copied: 1, skipped: 0, bytes: weight.length },
      {
        prefix: "results/",
        copied: 2,
        skipped: 0,
        bytes: size(`results/${TASK}/item-1.png`) + size(`results/${TASK}/item-1.prob.bin`),
      },
    ]);
    expect(await keysOf(bucket)).toEqual(shared);
    for (const key of shared) {
      const stored = await bucket.getBytes(key);
      expect({ key, same: stored.equals(installation[key] as Buffer) }).toEqual({
        key,
        same: true,
      });
    }
    // The big result went up as a multipart upload of two parts (s3rver's ETags do not show it,
    // so the SDK's own record of the calls it sent does).
    expect(sent.filter((name) => name === "UploadPartCommand")).toHaveLength(2);
    expect(sent).toContain("CompleteMultipartUploadCommand");
    expect(progress.at(-1)).toEqual({ prefix: "results/", copied: 2, skipped: 0 });
    expect(progress).toHaveLength(shared.length);
    expect(await snapshot(source.dir)).toEqual(before);
  });

  it("copies nothing on a second run and says it skipped everything", async () => {
    const source = sourceOf(installation);
    const bucket = bucketAt("move-2");
    await copyBlobs(source.store, bucket);
    const versions = new Map<string, string | undefined>();
    for (const key of shared) versions.set(key, (await bucket.head(key))?.etag);

    const again = await copyBlobs(source.store, bucket);

    expect(
      again.map(({ prefix, copied, skipped, bytes }) => [prefix, copied, skipped, bytes]),
    ).toEqual([
      ["uploads/", 0, 2, 0],
      ["weights/", 0, 1, 0],
      ["results/", 0, 2, 0],
    ]);
    for (const key of shared) expect((await bucket.head(key))?.etag).toBe(versions.get(key));
  });

  it("replaces an object the bucket holds at another size", async () => {
    const key = `uploads/${TEAM}/1a2b.png`;
    const source = sourceOf({ [key]: installation[key] as Buffer });
    const bucket = bucketAt("move-3");
    await bucket.put(key, Buffer.from("a half-finished copy from elsewhere"));

    const counts = await copyBlobs(source.store, bucket, { prefixes: ["uploads/"] });

    expect(counts).toEqual([
      { prefix: "uploads/", copied: 1, skipped: 0, bytes: installation[key]?.length },
    ]);
    expect((await bucket.getBytes(key)).equals(installation[key] as Buffer)).toBe(true);
  });

  it("stops at an object that fails, names it, and finishes when run again", async () => {
    const good = `weights/${sha256(weight)}.onnx`;
    // A weight whose bytes do not match the sha256 its name promises (a damaged file).
    const damaged = `weights/${"0".repeat(64)}.onnx`;
    const source = sourceOf({
      [`uploads/${TEAM}/1a2b.png`]: installation[`uploads/${TEAM}/1a2b.png`] as Buffer,
      [damaged]: randomBytes(1000),
      [good]: weight,
    });
    const bucket = bucketAt("move-4");

    const error = await copyBlobs(source.store, bucket, { concurrency: 1 }).catch((e) => e);

    expect(error).toBeInstanceOf(BlobCopyError);
    expect(error.key).toBe(damaged);
    expect(error.message).toContain(`"${damaged}"`);
    expect(error.message).toContain("sha256");
    expect(error.message).toContain("run the copy again");
    // What was copied before it stays; the damaged object was not stored.
    expect(error.counts[0]).toMatchObject({ prefix: "uploads/", copied: 1 });
    expect(await keysOf(bucket)).toEqual([`uploads/${TEAM}/1a2b.png`]);

    // The operator deals with the file and runs the copy again: it picks up where it stopped.
    rmSync(path.join(source.dir, damaged));
    const counts = await copyBlobs(source.store, bucket);
    expect(counts.map(({ copied, skipped }) => [copied, skipped])).toEqual([
      [0, 1],
      [1, 0],
      [0, 0],
    ]);
    expect((await bucket.getBytes(good)).equals(weight)).toBe(true);
  });

  it("refuses a prefix that breaks the key rules before copying anything", async () => {
    const source = sourceOf({});
    await expect(
      copyBlobs(source.store, bucketAt("move-5"), { prefixes: ["../etc/"] }),
    ).rejects.toThrow(/storage prefix/);
  });
});
