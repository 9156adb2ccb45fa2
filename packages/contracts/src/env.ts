// Environment variables shared by several processes (web + api, inference, db), each defined
// once here; every process composes the ones it reads with its own in `createEnv`. zod only, so
// any package may import it.
import { z } from "zod";

/** "1" / "true" / "yes" / "on" and their opposites, the switches every process accepts. */
export const booleanFlag = () =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
    .transform((v) => ["1", "true", "yes", "on"].includes(v));

export const sharedEnv = {
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Relative paths are anchored at the repository root (see @studio/db/env). */
  DATA_DIR: z.string().min(1).optional(),
  /** Defaults to the SQLite file in DATA_DIR. */
  DATABASE_URL: z.string().min(1).optional(),
  INFERENCE_URL: z.url().default("http://127.0.0.1:4010"),
  /** Shared secret between the web app and the inference service; required in production. */
  INFERENCE_TOKEN: z.string().min(1).optional(),
  NEXTAUTH_URL: z.url().default("http://localhost:3000"),
  /** Required in production; the quick start generates one. */
  NEXTAUTH_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
};

export type EnvSource = Record<string, string | undefined>;

/**
 * Validates `source` (process.env by default) against the composed shape. An empty value counts
 * as unset, as in .env files, so `FOO=` falls back to the default. A bad environment throws one
 * error that names the process and lists every bad variable.
 */
export function createEnv<Shape extends z.ZodRawShape>(
  name: string,
  shape: Shape,
  source: EnvSource = process.env,
): z.output<z.ZodObject<Shape>> {
  const values = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const parsed = z.object(shape).safeParse(values);
  if (!parsed.success) {
    throw new Error(`Invalid environment for ${name}:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
