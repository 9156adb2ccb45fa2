import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlobStore } from "./create";
import { loadBlobEnv } from "./env";
import { sha256FromKey } from "./keys";
import { LocalBlobStore } from "./local";
import { S3BlobStore } from "./s3";
import { startTestS3Server, type TestS3Server } from "./testing";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");

describe("loadBlobEnv", () => {
  it("defaults to the local data directory, anchored at the repository root", () => {
    expect(loadBlobEnv({})).toEqual({ kind: "local", rootDir: path.join(REPO_ROOT, "data") });
    expect(loadBlobEnv({ DATA_DIR: "var/studio", BLOB_STORE: "" })).toEqual({
      kind: "local",
      rootDir: path.join(REPO_ROOT, "var/studio"),
    });
    expect(loadBlobEnv({ DATA_DIR: "/srv/studio" })).toEqual({
      kind: "local",
      rootDir: "/srv/studio",
    });
  });

  it("reads every S3 setting", () => {
    expect(
      loadBlobEnv({
        BLOB_STORE: "s3",
        S3_ENDPOINT: "http://minio:9000",
        S3_REGION: "eu-west-1",
        S3_BUCKET: "studio-data",
        S3_PREFIX: "prod",
        S3_FORCE_PATH_STYLE: "true",
        S3_ACCESS_KEY_ID: "key",
        S3_SECRET_ACCESS_KEY: "secret",
        S3_TIMEOUT_MS: "5000",
        S3_MAX_ATTEMPTS: "4",
        S3_PART_SIZE_MB: "16",
      }),
    ).toEqual({
      kind: "s3",
      endpoint: "http://minio:9000",
      region: "eu-west-1",
      bucket: "studio-data",
      prefix: "prod",
      forcePathStyle: true,
      accessKeyId: "key",
      secretAccessKey: "secret",
      sessionToken: undefined,
      timeoutMs: 5000,
      maxAttempts: 4,
      partSize: 16 * 1024 * 1024,
    });
  });

  it("falls back to the standard AWS names and sensible defaults", () => {
    const config = loadBlobEnv({
      BLOB_STORE: "s3",
      S3_BUCKET: "studio-data",
      AWS_REGION: "us-west-2",
      AWS_ACCESS_KEY_ID: "aws-key",
      AWS_SECRET_ACCESS_KEY: "aws-secret",
      AWS_SESSION_TOKEN: "token",
      AWS_ENDPOINT_URL_S3: "https://acct.r2.cloudflarestorage.com",
    });
    expect(config).toMatchObject({
      kind: "s3",
      region: "us-west-2",
      accessKeyId: "aws-key",
      secretAccessKey: "aws-secret",
      sessionToken: "token",
      endpoint: "https://acct.r2.cloudflarestorage.com",
      forcePathStyle: false,
      timeoutMs: 30_000,
      maxAttempts: 3,
      partSize: 8 * 1024 * 1024,
    });
    // No keys at all: the SDK's own chain (an instance role) supplies them.
    expect(loadBlobEnv({ BLOB_STORE: "s3", S3_BUCKET: "studio-data" })).toMatchObject({
      region: "us-east-1",
      accessKeyId: undefined,
    });
    // The S3_* name wins.
    expect(
      loadBlobEnv({ BLOB_STORE: "s3", S3_BUCKET: "b-1", S3_REGION: "a", AWS_REGION: "b" }),
    ).toMatchObject({ region: "a" });
  });

  it("names every bad variable", () => {
    expect(() => loadBlobEnv({ BLOB_STORE: "s3" })).toThrow(/S3_BUCKET is required/);
    expect(() =>
      loadBlobEnv({ BLOB_STORE: "s3", S3_BUCKET: "b-1", S3_ACCESS_KEY_ID: "only-the-id" }),
    ).toThrow(/must be set together/);
    expect(() => loadBlobEnv({ BLOB_STORE: "ftp" })).toThrow(/BLOB_STORE/);
    expect(() => loadBlobEnv({ BLOB_STORE: "s3", S3_BUCKET: "Bad_Bucket" })).toThrow(/S3_BUCKET/);
    expect(() =>
      loadBlobEnv({ BLOB_STORE: "s3", S3_BUCKET: "b-1", S3_ENDPOINT: "not a url" }),
    ).toThrow(/S3_ENDPOINT/);
    expect(() =>
      loadBlobEnv({ BLOB_STORE: "s3", S3_BUCKET: "b-1", S3_FORCE_PATH_STYLE: "maybe" }),
    ).toThrow(/S3_FORCE_PATH_STYLE/);
  });
});

describe("createBlobStore", () => {
  let server: TestS3Server;
  beforeAll(async () => {
    server = await startTestS3Server();
  });
  afterAll(() => server?.cleanup());

  it("builds the store the environment describes", async () => {
    const local = createBlobStore(loadBlobEnv({ DATA_DIR: "/tmp/studio-blob-env" }));
    expect(local).toBeInstanceOf(LocalBlobStore);
    expect(local.description).toBe("/tmp/studio-blob-env");

    // The variables a child process would get, against a real server.
    const s3 = createBlobStore(loadBlobEnv({ ...server.env, S3_PREFIX: "from-env" }));
    try {
      expect(s3).toBeInstanceOf(S3BlobStore);
      await s3.check();
      await s3.put("hello.txt", Buffer.from("hi"));
      expect((await s3.getBytes("hello.txt")).toString()).toBe("hi");
      expect(s3.description).toContain(`s3://${server.bucket}/from-env/`);
    } finally {
      s3.close();
    }
  });
});

describe("sha256FromKey", () => {
  it("reads the sha256 a content-addressed name promises, and nothing else", () => {
    const sha = "0123456789abcdef".repeat(4);
    expect(sha256FromKey(`weights/${sha}.onnx`)).toBe(sha);
    expect(sha256FromKey(sha)).toBe(sha);
    expect(sha256FromKey(`${sha}/model.onnx`)).toBeNull(); // a folder, not the file's name
    expect(sha256FromKey(`weights/${sha.toUpperCase()}.onnx`)).toBeNull();
    expect(sha256FromKey(`weights/${sha}0.onnx`)).toBeNull(); // 65 digits
    expect(sha256FromKey(`weights/${sha}.int8.onnx`)).toBeNull(); // derived from it, other bytes
    expect(sha256FromKey("uploads/0123456789abcdef0123456789abcdef.png")).toBeNull(); // 32 digits
    expect(sha256FromKey("results/t/0001-a1.png")).toBeNull();
  });
});
