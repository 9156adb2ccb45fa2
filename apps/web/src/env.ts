import { z } from "zod";

/**
 * The web app's view of the environment, validated once at start-up. Auth and data
 * settings are also read by @studio/api's own env; this file covers what the app itself uses.
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  NEXTAUTH_URL: z.url().default("http://localhost:3000"),
  NEXTAUTH_SECRET: z.string().min(16).optional(),
  INFERENCE_URL: z.url().default("http://127.0.0.1:4010"),
  /** Set by `next build`; the secret is only demanded when the server really runs. */
  NEXT_PHASE: z.string().optional(),
});

const parsed = schema.safeParse(process.env);
if (!parsed.success) {
  throw new Error(`Invalid environment for @studio/web: ${z.prettifyError(parsed.error)}`);
}

const isBuild = parsed.data.NEXT_PHASE === "phase-production-build";
if (parsed.data.NODE_ENV === "production" && !isBuild && !parsed.data.NEXTAUTH_SECRET) {
  throw new Error("NEXTAUTH_SECRET must be set in production (at least 16 characters).");
}

export const env = parsed.data;
