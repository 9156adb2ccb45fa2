// pnpm db:diff <name>: writes prisma/migrations/<timestamp>_<name>/ for the schema's changes.
import { createMigration } from "../src/diff";

const name = process.argv[2];
if (!name) {
  console.error("usage: pnpm db:diff <migration_name>");
  process.exit(2);
}
const created = await createMigration(name);
if (!created) {
  console.log("no changes");
} else {
  console.log(`created prisma/migrations/${created.name}/migration.sql`);
}
