import { resolve } from "node:path";
import { z } from "zod";

const repoRoot = resolve(import.meta.dirname, "../../..");

/** The benchmark's only environment input. */
export const benchEnv = z
  .object({ DATA_DIR: z.string().min(1).default(resolve(repoRoot, "data")) })
  .parse(process.env);
