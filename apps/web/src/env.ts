import { createEnv, sharedEnv } from "@studio/contracts/env";
import { z } from "zod";

/**
 * The web app's view of the environment, validated once at start-up. Auth and data
 * settings are also read by @studio/api's own env; this file covers what the app itself uses.
 */
const parsed = createEnv("@studio/web", {
  NODE_ENV: sharedEnv.NODE_ENV,
  NEXTAUTH_URL: sharedEnv.NEXTAUTH_URL,
  NEXTAUTH_SECRET: sharedEnv.NEXTAUTH_SECRET,
  INFERENCE_URL: sharedEnv.INFERENCE_URL,
  /** Set by `next build`; the secret is only demanded when the server really runs. */
  NEXT_PHASE: z.string().optional(),
});

const isBuild = parsed.NEXT_PHASE === "phase-production-build";
if (parsed.NODE_ENV === "production" && !isBuild && !parsed.NEXTAUTH_SECRET) {
  throw new Error("NEXTAUTH_SECRET must be set in production (at least 16 characters).");
}

export const env = parsed;
