// The web app's uploads and downloads with the bytes in an S3 bucket (s3rver through the AWS
// SDK) and an inference node that shares no disk with it: an image and a weight land in the
// bucket, never on either machine's disk; refused uploads leave nothing in the bucket; downloads
// serve byte ranges from the bucket; an upload while the bucket is unreachable answers a clear
// 503 and leaves no row and no object.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { downloadFile, uploadImage, uploadWeight } from "@studio/api/files";
import { makeUser, post, resetEnvForTests, type TestUser } from "@studio/api/testing";
import { S3BlobStore } from "@studio/blob/s3";
import { startTestS3Server, type TestS3Server } from "@studio/blob/testing";
import { buildTinySrModel } from "@studio/core/testing";
import { fixturePath } from "@studio/fixtures";
import { startTestService, type TestService } from "@studio/inference/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextOn, sessionCaller } from "./api-on-service";

const png = readFileSync(fixturePath("chelsea.png"));
const jpeg = readFileSync(fixturePath("rocket.jpg"));
const sr = buildTinySrModel({ scale: 2, seed: 3 });

let s3: TestS3Server;
let bucket: S3BlobStore;
let svc: TestService;
/** The web machine's own disk: only its temp files may ever appear here. */
let webDir: string;
let alice: TestUser;
let s3Env: Record<string, string>;

beforeAll(async () => {
  s3 = await startTestS3Server();
  bucket = new S3BlobStore(s3.config);
  // Short time-outs: a call to the halted server gives up in seconds.
  s3Env = { ...s3.env, S3_TIMEOUT_MS: "5000", S3_MAX_ATTEMPTS: "2" };
  svc = await startTestService(s3Env);
  webDir = mkdtempSync(path.join(os.tmpdir(), "s3-uploads-web-"));
  Object.assign(process.env, s3Env, { DATA_DIR: webDir });
  resetEnvForTests();
  alice = await makeUser(svc.db);
}, 120_000);

afterAll(async () => {
  for (const name of Object.keys(s3Env ?? {})) delete process.env[name];
  resetEnvForTests();
  await svc?.cleanup();
  bucket?.close();
  await s3?.cleanup();
  if (webDir) rmSync(webDir, { recursive: true, force: true });
});

const ctx = () => contextOn(svc, alice.id, { retries: 0 });

async function sendImage(body: Uint8Array, name: string) {
  const response = await uploadImage(
    post(`/api/files/images?teamId=${alice.personalTeamId}&name=${name}`, new Uint8Array(body)),
    await ctx(),
  );
  return {
    status: response.status,
    body: (await response.json()) as {
      image?: { id: string };
      error?: { code: string; message: string };
    },
  };
}

async function sendWeight(body: Uint8Array, version: string) {
  const query = new URLSearchParams({
    teamId: alice.personalTeamId,
    taskKind: "super_resolution",
    name: "Tiny",
    family: "tiny-s3",
    version,
    spec: JSON.stringify({ kind: "super_resolution", scale: 2, receptiveField: sr.receptiveField }),
  });
  const response = await uploadWeight(
    post(`/api/files/weights?${query}`, new Uint8Array(body)),
    await ctx(),
  );
  return {
    status: response.status,
    body: (await response.json()) as {
      weight?: { id: string; sha256: string };
      error?: { code: string; message: string };
    },
  };
}

async function bucketKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of bucket.list("")) keys.push(key);
  return keys.sort();
}

/** Files (not folders) under a directory, relative. */
const filesUnder = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));

/**
 * All or nothing: the bucket holds exactly the objects the rows name (no row without its
 * object, no object, staged ones included, without its row), and neither machine keeps an
 * upload on its own disk.
 */
async function expectBucketMatchesRows() {
  const images = await svc.db.image.findMany({ select: { storagePath: true } });
  const weights = await svc.db.weight.findMany({ select: { sha256: true } });
  const named = [
    ...images.map((i) => i.storagePath),
    ...new Set(weights.map((w) => `weights/${w.sha256}.onnx`)),
  ].sort();
  expect(await bucketKeys()).toEqual(named);
  expect(filesUnder(webDir)).toEqual([]);
  expect(filesUnder(svc.dataDir).filter((f) => /^(uploads|weights|incoming)\//.test(f))).toEqual(
    [],
  );
}

function download(
  imageId: string,
  headers: Record<string, string> = {},
  extra: Record<string, string> = {},
) {
  const query = new URLSearchParams({
    type: "image",
    teamId: alice.personalTeamId,
    id: imageId,
    ...extra,
  });
  return ctx().then((context) =>
    downloadFile(
      new Request(`http://studio.test/api/files/download?${query}`, { headers }),
      context,
    ),
  );
}

describe("uploads and downloads with an S3 bucket", () => {
  let imageId: string;

  it("keeps an uploaded image in the bucket, not on disk", async () => {
    const res = await sendImage(png, "cat.png");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    imageId = res.body.image?.id as string;
    const row = await svc.db.image.findUniqueOrThrow({ where: { id: imageId } });
    expect(row.storagePath).toMatch(
      new RegExp(`^uploads/${alice.personalTeamId}/[0-9a-f]+\\.png$`),
    );
    expect((await bucket.getBytes(row.storagePath)).equals(png)).toBe(true);
    await expectBucketMatchesRows();
  });

  it("leaves nothing in the bucket when the node refuses an image", async () => {
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const res = await sendImage(truncated, "half.jpg");
    expect(res.status).toBe(422);
    expect(res.body.error?.message).toContain("half.jpg");
    await expectBucketMatchesRows();
  });

  it("serves byte ranges of an original from the bucket", async () => {
    const whole = await download(imageId);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await whole.arrayBuffer()).equals(png)).toBe(true);

    const middle = await download(imageId, { range: "bytes=100-1099" });
    expect(middle.status).toBe(206);
    expect(middle.headers.get("content-range")).toBe(`bytes 100-1099/${png.length}`);
    expect(middle.headers.get("content-length")).toBe("1000");
    expect(Buffer.from(await middle.arrayBuffer()).equals(png.subarray(100, 1100))).toBe(true);

    const tail = await download(imageId, { range: "bytes=-64" });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(png.subarray(png.length - 64))).toBe(true);

    const beyond = await download(imageId, { range: `bytes=${png.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${png.length}`);
  });

  it("keeps the renditions a node makes in the bucket and deletes them with the image", async () => {
    const res = await sendImage(jpeg, "rocket.jpg");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.image?.id as string;
    const thumb = await download(id, {}, { rendition: "thumb" });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    const webp = Buffer.from(await thumb.arrayBuffer());
    const key = `renditions/${alice.personalTeamId}/${id}-thumb.v1.webp`;
    expect((await bucket.getBytes(key)).equals(webp)).toBe(true);
    // Asked again with its ETag: nothing is made or sent.
    const again = await download(
      id,
      { "if-none-match": thumb.headers.get("etag") as string },
      {
        rendition: "thumb",
      },
    );
    expect(again.status).toBe(304);

    const { storagePath } = await svc.db.image.findUniqueOrThrow({ where: { id } });
    const caller = await sessionCaller(svc, alice);
    await caller.images.delete({ teamId: alice.personalTeamId, imageIds: [id] });
    const keys = await bucketKeys();
    expect(keys).not.toContain(storagePath);
    expect(keys).not.toContain(key);
    await expectBucketMatchesRows();
  });

  it("keeps an uploaded weight in the bucket under its sha256, and nothing of a refused one", async () => {
    const res = await sendWeight(sr.bytes, "1");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const sha256 = res.body.weight?.sha256 as string;
    expect((await bucket.getBytes(`weights/${sha256}.onnx`)).equals(Buffer.from(sr.bytes))).toBe(
      true,
    );
    await expectBucketMatchesRows();

    const refused = await sendWeight(new Uint8Array(4096).fill(7), "2");
    expect(refused.status).toBe(422);
    expect(refused.body.error?.code).toBe("not_onnx");
    await expectBucketMatchesRows();
  });

  it("answers 503 in plain words while the bucket is unreachable, keeping nothing", async () => {
    const images = await svc.db.image.count();
    await s3.stop();
    try {
      const res = await sendImage(png, "offline.png");
      expect(res.status).toBe(503);
      expect(res.body.error).toEqual({
        code: "unavailable",
        message: "File storage is unreachable; try again shortly.",
      });
      const file = await download(imageId);
      expect(file.status).toBe(503);
    } finally {
      await s3.restart();
    }
    expect(await svc.db.image.count()).toBe(images);
    await expectBucketMatchesRows();
  });
});
