// pnpm db:migrate: applies pending migrations to DATABASE_URL (default DATA_DIR/studio.db).
import { dbEnv } from "../src/env";
import { migrateDatabase } from "../src/migrate";

const { DATABASE_URL } = dbEnv();
const { applied } = await migrateDatabase(DATABASE_URL);
console.log(
  applied.length > 0
    ? `applied ${applied.length} migration(s) to ${DATABASE_URL}: ${applied.join(", ")}`
    : `${DATABASE_URL} is up to date`,
);
