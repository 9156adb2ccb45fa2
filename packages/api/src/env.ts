import path from "node:path";
import { REPO_ROOT } from "@studio/db/env";
import { z } from "zod";

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATA_DIR: z.string().min(1).optional(),
  NEXTAUTH_SECRET: z.string().min(1).optional(),
  NEXTAUTH_URL: z.string().url().default("http://localhost:3000"),
  INFERENCE_URL: z.string().url().default("http://127.0.0.1:4010"),
  INFERENCE_TOKEN: z.string().optional(),
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
  TRUST_PROXY: z
    .enum(["0", "1", "true", "false", "yes", "no", "on", "off", ""])
    .default("0")
    .transform((v) => ["1", "true", "yes", "on"].includes(v)),
});

/** DATA_DIR is resolved exactly as @studio/db resolves it, so both agree on the directory. */
export type ApiEnv = z.infer<typeof schema> & { DATA_DIR: string };

function load(): ApiEnv {
  const parsed = schema.parse(process.env);
  return { ...parsed, DATA_DIR: path.resolve(REPO_ROOT, parsed.DATA_DIR ?? "data") };
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
