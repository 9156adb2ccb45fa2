// pnpm db:diff <name>: writes <timestamp>_<name>/migration.sql for the schema's changes into
// prisma/migrations (SQLite) and prisma/migrations-postgres (PostgreSQL). The PostgreSQL SQL
// is found on a private cluster started for the run, so PostgreSQL must be installed
// (`node scripts/setup.mjs --postgres` installs Debian's package).
import { relative } from "node:path";
import { createMigration } from "../src/diff";
import { PACKAGE_DIR } from "../src/migrate";

const name = process.argv[2];
if (!name) {
  console.error("usage: pnpm db:diff <migration_name>");
  process.exit(2);
}
const created = await createMigration(name);
if (!created) {
  console.log("no changes");
} else {
  for (const directory of Object.values(created.directories))
    console.log(`created ${relative(PACKAGE_DIR, directory)}/migration.sql`);
}
