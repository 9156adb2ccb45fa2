// `prisma generate` downloads a schema-engine binary it never runs, which fails offline.
// Pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file satisfies that check; migrations
// use the WebAssembly schema engine instead (src/schema-engine.ts).
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const prismaBin = resolve(packageDir, "node_modules/.bin/prisma");

const result = spawnSync(prismaBin, ["generate"], {
  cwd: packageDir,
  stdio: "inherit",
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
process.exit(result.status ?? 1);
