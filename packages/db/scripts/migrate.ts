// pnpm db:migrate: applies pending migrations to DATABASE_URL (default DATA_DIR/studio.db):
// prisma/migrations for a SQLite file, prisma/migrations-postgres for a postgresql:// URL.
import { dbEnv, redactUrl } from "../src/env";
import { migrateDatabase } from "../src/migrate";

const { DATABASE_URL } = dbEnv();
const where = redactUrl(DATABASE_URL);
const { applied } = await migrateDatabase(DATABASE_URL);
console.log(
  applied.length > 0
    ? `applied ${applied.length} migration(s) to ${where}: ${applied.join(", ")}`
    : `${where} is up to date`,
);
