// Where bytes go, from the environment. BLOB_STORE=local (default) keeps them in DATA_DIR as
// always; BLOB_STORE=s3 puts them in an S3-compatible bucket. Every S3_* variable may also be
// given under its standard AWS name (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_S3); the S3_* name wins when both are set.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { booleanFlag, createEnv, type EnvSource, sharedEnv } from "@studio/contracts/env";
import { z } from "zod";
import type { S3BlobStoreOptions } from "./s3";

/** The monorepo root: DATA_DIR is anchored here, the same rule as @studio/db/env. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const optionalText = z.string().min(1).optional();

const shape = {
  DATA_DIR: sharedEnv.DATA_DIR,
  BLOB_STORE: z.enum(["local", "s3"]).default("local"),
  S3_ENDPOINT: z.url().optional(),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  S3_REGION: optionalText,
  AWS_REGION: optionalText,
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid bucket name")
    .optional(),
  /** A folder inside the bucket, for several installations (or environments) in one bucket. */
  S3_PREFIX: optionalText,
  /** `true` for MinIO and most self-hosted servers; AWS and R2 work either way. */
  S3_FORCE_PATH_STYLE: booleanFlag().optional(),
  S3_ACCESS_KEY_ID: optionalText,
  AWS_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  AWS_SECRET_ACCESS_KEY: optionalText,
  AWS_SESSION_TOKEN: optionalText,
  S3_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  S3_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** Objects larger than this go up in parts of this size (MiB, at least 5). */
  S3_PART_SIZE_MB: z.coerce.number().int().min(5).max(5000).default(8),
};

export type BlobStoreConfig =
  | { kind: "local"; rootDir: string }
  | ({ kind: "s3" } & S3BlobStoreOptions);

/** The store configuration `createBlobStore` needs, from `source` (process.env by default). */
export function loadBlobEnv(source: EnvSource = process.env): BlobStoreConfig {
  const env = createEnv("@studio/blob", shape, source);
  if (env.BLOB_STORE === "local") {
    return { kind: "local", rootDir: resolve(REPO_ROOT, env.DATA_DIR ?? "data") };
  }
  const problems: string[] = [];
  if (!env.S3_BUCKET) problems.push("S3_BUCKET is required when BLOB_STORE=s3");
  const accessKeyId = env.S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    problems.push("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together");
  }
  if (problems.length > 0 || !env.S3_BUCKET) {
    throw new Error(
      `Invalid environment for @studio/blob:\n${problems.map((p) => `✖ ${p}`).join("\n")}`,
    );
  }
  return {
    kind: "s3",
    endpoint: env.S3_ENDPOINT ?? env.AWS_ENDPOINT_URL_S3,
    // The SDK needs a region even where the server ignores it (MinIO; R2 wants "auto").
    region: env.S3_REGION ?? env.AWS_REGION ?? "us-east-1",
    bucket: env.S3_BUCKET,
    prefix: env.S3_PREFIX,
    forcePathStyle: env.S3_FORCE_PATH_STYLE ?? false,
    accessKeyId,
    secretAccessKey,
    sessionToken: env.AWS_SESSION_TOKEN,
    timeoutMs: env.S3_TIMEOUT_MS,
    maxAttempts: env.S3_MAX_ATTEMPTS,
    partSize: env.S3_PART_SIZE_MB * 1024 * 1024,
  };
}

let cached: BlobStoreConfig | undefined;
/** `loadBlobEnv()` of this process, read once. */
export function blobEnv(): BlobStoreConfig {
  cached ??= loadBlobEnv();
  return cached;
}
