// pnpm db:copy --to postgresql://user:password@host:5432/studio [--from file:./data/studio.db]
// Copies every row of the SQLite store (default: this installation's DATABASE_URL) into a new,
// empty PostgreSQL database, which it migrates first. Stop web and inference before running it;
// files under DATA_DIR stay where they are. A relative file: path is taken from the repository
// root, as DATABASE_URL is.
import { parseArgs } from "node:util";
import { copyStore } from "../src/copy-store";
import { dbEnv, redactUrl } from "../src/env";

const usage =
  "usage: pnpm db:copy --to postgresql://user:password@host:5432/database " +
  "[--from file:./data/studio.db] [--batch-size 500]";

let values: { from?: string; to?: string; "batch-size"?: string };
try {
  ({ values } = parseArgs({
    // pnpm passes a literal "--" through when the caller separates its own options with one.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: {
      from: { type: "string" },
      to: { type: "string" },
      "batch-size": { type: "string" },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (!values.to) {
  console.error(usage);
  process.exit(2);
}
const batchSize = values["batch-size"] === undefined ? undefined : Number(values["batch-size"]);
if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
  console.error(`--batch-size must be a positive whole number\n${usage}`);
  process.exit(2);
}
const from = values.from ?? dbEnv().DATABASE_URL;
const to = values.to;

console.log(`copying ${redactUrl(from)} -> ${redactUrl(to)}`);
let lastLine = Date.now();
try {
  const result = await copyStore(from, to, {
    batchSize,
    onProgress({ table, copied, total }) {
      // A line per table, and one every ~10 s for a big one, not one per batch.
      const now = Date.now();
      if (copied === total || now - lastLine > 10_000) {
        lastLine = now;
        console.log(`  ${table}: ${copied}/${total}`);
      }
    },
  });
  if (result.migrationsApplied.length > 0)
    console.log(`migrated the target: ${result.migrationsApplied.join(", ")}`);
  const width = Math.max(...result.tables.map((t) => t.table.length));
  console.log("rows copied:");
  for (const { table, rows } of result.tables) console.log(`  ${table.padEnd(width)}  ${rows}`);
  console.log(
    `done: ${result.tables.reduce((sum, t) => sum + t.rows, 0)} rows. ` +
      `Now set DATABASE_URL=${redactUrl(to)} (with its password) and start the services.`,
  );
} catch (error) {
  console.error(`copy failed; no rows were written to the target: ${(error as Error).message}`);
  process.exit(1);
}
