import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DatabaseProvider } from "./env";

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The one place the models are written (provider sqlite); PostgreSQL's schema is derived. */
export const SCHEMA_PATH = join(PACKAGE_DIR, "prisma/schema.prisma");
/** Where `pnpm --filter @studio/db generate` writes the derived PostgreSQL schema (git-ignored). */
export const POSTGRES_SCHEMA_PATH = join(PACKAGE_DIR, "prisma/generated/postgresql/schema.prisma");

/**
 * The schema for `provider`: prisma/schema.prisma as written for SQLite, or the same models with
 * `provider = "postgresql"` and the client generated into src/generated/prisma-postgres. The
 * models avoid provider-specific types (enums are strings, JSON is text), so only the
 * datasource and the generator output differ.
 */
export function datamodelFor(provider: DatabaseProvider, sqliteSchema: string): string {
  if (provider === "sqlite") return sqliteSchema;
  const datasource = /(datasource\s+db\s*\{[^}]*?provider\s*=\s*)"sqlite"/;
  const output = /(generator\s+client\s*\{[^}]*?output\s*=\s*)"[^"]*"/;
  if (!datasource.test(sqliteSchema) || !output.test(sqliteSchema))
    throw new Error(
      'prisma/schema.prisma must keep `datasource db { provider = "sqlite" }` and a `generator ' +
        "client` with an `output`: the PostgreSQL schema is derived from them",
    );
  // Relative to POSTGRES_SCHEMA_PATH, where the derived schema is written.
  return sqliteSchema
    .replace(datasource, '$1"postgresql"')
    .replace(output, '$1"../../../src/generated/prisma-postgres"');
}

/** [path, content] of the schema for `provider`, as the schema engine takes it. */
export async function readDatamodel(
  provider: DatabaseProvider,
  schemaPath = SCHEMA_PATH,
): Promise<[string, string]> {
  const text = datamodelFor(provider, await readFile(schemaPath, "utf8"));
  return [provider === "sqlite" ? schemaPath : POSTGRES_SCHEMA_PATH, text];
}
