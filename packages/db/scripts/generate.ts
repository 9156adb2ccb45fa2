// Generates both Prisma clients from the one schema: src/generated/prisma (SQLite, from
// prisma/schema.prisma) and src/generated/prisma-postgres (PostgreSQL, from a copy of it with
// the other provider, written to prisma/generated/postgresql/). Prisma refuses a driver adapter
// whose provider differs from its client's, hence two clients; src/client.ts picks by URL.
//
// `prisma generate` downloads a schema-engine binary it never runs, which fails offline.
// Pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file satisfies that check; migrations
// use the WebAssembly schema engine instead (src/schema-engine.ts).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { datamodelFor, PACKAGE_DIR, POSTGRES_SCHEMA_PATH, SCHEMA_PATH } from "../src/datamodel";

const prismaBin = resolve(PACKAGE_DIR, "node_modules/.bin/prisma");

mkdirSync(dirname(POSTGRES_SCHEMA_PATH), { recursive: true });
writeFileSync(
  POSTGRES_SCHEMA_PATH,
  `// Generated from prisma/schema.prisma by scripts/generate.ts: edit that file, not this one.\n${datamodelFor("postgresql", readFileSync(SCHEMA_PATH, "utf8"))}`,
);

for (const schema of [SCHEMA_PATH, POSTGRES_SCHEMA_PATH]) {
  const result = spawnSync(prismaBin, ["generate", "--schema", schema], {
    cwd: PACKAGE_DIR,
    stdio: "inherit",
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      CHECKPOINT_DISABLE: "1",
    },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
