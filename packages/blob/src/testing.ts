// Test support: a real S3-speaking server (s3rver) in a child process on a free port, in a temp
// directory, for tests of anything that uses S3BlobStore. Started by the tests themselves.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { S3BlobStoreOptions } from "./s3";

const MAIN = fileURLToPath(new URL("./s3rver-child.mjs", import.meta.url));

/**
 * A server a test started and can take down and bring back, as an outage would (the inference
 * service's test node, @studio/inference's testing, has the same three).
 */
export interface RestartableTestServer {
  /** Down, as if it died: connections are refused; its data and port are kept for `restart`. */
  stop(): Promise<void>;
  /** Up again on the same port with the same data, after `stop`. */
  restart(): Promise<void>;
  /** Down for good, and whatever it made removed. */
  cleanup(): Promise<void>;
}

export interface TestS3Server extends RestartableTestServer {
  /** Options for `new S3BlobStore(...)` (add `prefix`, timeouts, part size as the test needs). */
  config: S3BlobStoreOptions;
  /** The same settings as environment variables, for a child process (see env.ts). */
  env: Record<string, string>;
  endpoint: string;
  port: number;
  bucket: string;
  /** Where s3rver keeps the bucket's files. */
  directory: string;
  /** SIGSTOP: connections are accepted by the kernel but never answered (a hung server). */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
}

async function launch(directory: string, bucket: string, port: number) {
  // s3rver signs ListObjectsV2 continuation tokens with DES, a legacy cipher in OpenSSL 3.
  const child = spawn(
    process.execPath,
    ["--openssl-legacy-provider", MAIN, directory, bucket, String(port)],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const started = await new Promise<{ port: number }>((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) {
        try {
          resolve(JSON.parse(line));
        } catch (error) {
          reject(error);
        }
      }
    });
    child.once("exit", (code) =>
      reject(new Error(`s3rver exited with code ${code} before it listened:\n${stderr}`)),
    );
    child.once("error", reject);
  });
  return { child, port: started.port };
}

async function kill(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // SIGKILL works on a frozen process too, and a halted store must refuse at once.
  child.kill("SIGKILL");
  await exited;
}

/** Starts s3rver with one empty bucket. Call `cleanup()` when done. */
export async function startTestS3Server(options: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = options.bucket ?? `test-${randomBytes(4).toString("hex")}`;
  const directory = await mkdtemp(path.join(tmpdir(), "studio-s3rver-"));
  let { child, port } = await launch(directory, bucket, 0);
  const endpoint = `http://127.0.0.1:${port}`;
  const config: S3BlobStoreOptions = {
    endpoint,
    region: "us-east-1",
    bucket,
    forcePathStyle: true,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  };
  return {
    config,
    env: {
      BLOB_STORE: "s3",
      S3_ENDPOINT: endpoint,
      S3_REGION: "us-east-1",
      S3_BUCKET: bucket,
      S3_FORCE_PATH_STYLE: "true",
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
    },
    endpoint,
    port,
    bucket,
    directory,
    stop: () => kill(child),
    async restart() {
      if (child.exitCode === null && child.signalCode === null) return;
      ({ child } = await launch(directory, bucket, port));
    },
    freeze: () => child.kill("SIGSTOP"),
    thaw: () => child.kill("SIGCONT"),
    async cleanup() {
      await kill(child);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
