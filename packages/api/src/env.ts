import { type BlobStoreConfig, loadBlobEnv } from "@studio/blob/env";
import { booleanFlag, createEnv, sharedEnv } from "@studio/contracts/env";
import { resolveDataDir } from "@studio/db/env";
import { z } from "zod";

const shape = {
  NODE_ENV: sharedEnv.NODE_ENV,
  DATA_DIR: sharedEnv.DATA_DIR,
  NEXTAUTH_SECRET: sharedEnv.NEXTAUTH_SECRET,
  NEXTAUTH_URL: sharedEnv.NEXTAUTH_URL,
  INFERENCE_URL: sharedEnv.INFERENCE_URL,
  INFERENCE_TOKEN: sharedEnv.INFERENCE_TOKEN,
  /** Upload caps in bytes (defaults: images 50 MB, archives 2 GB, weights 200 MB). */
  MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024),
  MAX_ARCHIVE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 1024 * 1024 * 1024),
  MAX_WEIGHT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(200 * 1024 * 1024),
  /** Largest decoded image accepted, in pixels (width x height). */
  MAX_IMAGE_PIXELS: z.coerce.number().int().positive().default(100_000_000),
  /** Bytes of uploaded images one user may keep (default 20 GB). */
  USER_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 ** 3),
  /**
   * Accounts one client address may register per hour. A shared address (an office behind one
   * NAT, a test harness) may need more; sign-in back-off does not depend on it.
   */
  REGISTRATIONS_PER_HOUR: z.coerce.number().int().positive().default(10),
  /** Upload requests one user may make per minute. */
  UPLOADS_PER_MINUTE: z.coerce.number().int().positive().default(120),
  /** Entries and total uncompressed bytes an archive may hold. */
  MAX_ARCHIVE_ENTRIES: z.coerce.number().int().positive().default(10_000),
  MAX_ARCHIVE_UNPACKED_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 ** 3),
  /** Annotation text (labels, JSON, XML, data.yaml) an archive may hold: it is kept in memory. */
  MAX_ARCHIVE_TEXT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 ** 2),
  /**
   * Trust X-Forwarded-For / X-Real-IP for the client address (sign-in and registration
   * limits). Only turn on behind a reverse proxy that overwrites these headers.
   */
  TRUST_PROXY: booleanFlag().default(false),
  /**
   * API calls one web server process works on at once; more are answered at once with 503 and
   * Retry-After (tRPC's error shape), so that a flood degrades into quick refusals instead of
   * every poll waiting seconds. A browser polls every second or two, so this is far above what
   * hundreds of open pages need.
   */
  API_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(128),
  /**
   * scrypt cost of new password hashes, as log2 N (17: 128 MiB and ~0.3 s per hash). Existing
   * hashes keep the cost they were made with.
   */
  PASSWORD_SCRYPT_LOG_N: z.coerce.number().int().min(14).max(20).default(17),
};

/**
 * DATA_DIR is resolved exactly as @studio/db resolves it, so both agree on the directory. `blob`
 * says where shared bytes live (BLOB_STORE, S3_*: see @studio/blob/env); DATA_DIR itself keeps
 * only what is this process's own (tmp/, the official/ models fetched at setup).
 */
export type ApiEnv = z.output<z.ZodObject<typeof shape>> & {
  DATA_DIR: string;
  blob: BlobStoreConfig;
};

function load(): ApiEnv {
  const parsed = createEnv("@studio/api", shape);
  const DATA_DIR = resolveDataDir(parsed.DATA_DIR);
  const blob = loadBlobEnv();
  // The local store is the data directory itself, resolved by the same rule as above.
  return {
    ...parsed,
    DATA_DIR,
    blob: blob.kind === "local" ? { ...blob, rootDir: DATA_DIR } : blob,
  };
}

let cached: ApiEnv | undefined;

/** Validated environment, read once. Tests may reset it with `resetEnvForTests`. */
export function env(): ApiEnv {
  cached ??= load();
  return cached;
}

export function resetEnvForTests(): void {
  cached = undefined;
}

export const isProduction = () => env().NODE_ENV === "production";
