// pnpm blob:copy [--from ./data]   (a relative --from is taken from the repository root)
// Copies this installation's shared files (uploads/, weights/, results/) from its data directory
// into the S3 bucket the services will use once BLOB_STORE=s3: the bucket is the one the S3_*
// variables describe, whatever BLOB_STORE says now. Safe to run again: objects already in the
// bucket at the same size are skipped, so a copy that stopped is finished by running it again.
// The data directory is only read. Pair with `pnpm db:copy` when moving to PostgreSQL too.
import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type BlobCopyCount, copyBlobs } from "../src/copy";
import { loadBlobEnv } from "../src/env";
import { LocalBlobStore } from "../src/local";
import { S3BlobStore } from "../src/s3";

const usage =
  "usage: S3_BUCKET=… [S3_ENDPOINT=… S3_REGION=… S3_FORCE_PATH_STYLE=… S3_ACCESS_KEY_ID=… " +
  "S3_SECRET_ACCESS_KEY=… S3_PREFIX=…] pnpm blob:copy [--from <data directory>]\n" +
  "  The bucket is the one the S3_* variables describe (as web and inference will read them);\n" +
  "  --from defaults to this installation's DATA_DIR.";

function fail(code: 1 | 2, message: string): never {
  console.error(code === 2 ? `${message}\n${usage}` : message);
  process.exit(code);
}

let values: { from?: string };
try {
  ({ values } = parseArgs({
    // pnpm passes a literal "--" through when the caller separates its own options with one.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: { from: { type: "string" } },
  }));
} catch (error) {
  fail(2, (error as Error).message);
}

// Both ends through env.ts, so they are the places the services will use: the data directory
// is DATA_DIR (or --from) resolved as every process resolves it, from the repository root (as
// db:copy's --from is); the bucket is S3_* read as the services read it.
let from: LocalBlobStore;
let to: S3BlobStore;
try {
  const local = loadBlobEnv({
    ...process.env,
    BLOB_STORE: "local",
    ...(values.from ? { DATA_DIR: values.from } : {}),
  });
  const bucket = loadBlobEnv({ ...process.env, BLOB_STORE: "s3" });
  if (local.kind !== "local" || bucket.kind !== "s3") throw new Error("BLOB_STORE was not obeyed");
  from = new LocalBlobStore(local.rootDir);
  const { kind: _kind, ...options } = bucket;
  to = new S3BlobStore(options);
} catch (error) {
  // env.ts words its checks for a service started with BLOB_STORE=s3; here that is the copy.
  fail(2, (error as Error).message.replace(/when BLOB_STORE=s3/g, "to copy to S3"));
}

const isDirectory = await stat(from.root).then(
  (info) => info.isDirectory(),
  () => false,
);
if (!isDirectory) {
  fail(
    2,
    `The data directory ${from.root} does not exist: give the installation's own with --from ` +
      "(or DATA_DIR).",
  );
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const line = (c: Omit<BlobCopyCount, "prefix">) =>
  `${c.copied} copied (${mb(c.bytes)}), ${c.skipped} already there`;

console.log(`copying ${from.description} -> ${to.description}`);
try {
  await to.check();
} catch (error) {
  to.close();
  fail(1, `The bucket cannot be used: ${(error as Error).message}`);
}

let lastLine = Date.now();
let counts: BlobCopyCount[];
try {
  counts = await copyBlobs(from, to, {
    onProgress({ prefix, copied, skipped }) {
      // A line every ~10 s on a long copy, not one per object.
      const now = Date.now();
      if (now - lastLine > 10_000) {
        lastLine = now;
        console.log(`  ${prefix} ${copied} copied, ${skipped} already there…`);
      }
    },
  });
} catch (error) {
  to.close();
  fail(1, `copy failed: ${(error as Error).message}`);
}
to.close();

const width = Math.max(...counts.map((c) => c.prefix.length));
for (const count of counts) console.log(`  ${count.prefix.padEnd(width)}  ${line(count)}`);
const total = counts.reduce(
  (sum, c) => ({
    copied: sum.copied + c.copied,
    skipped: sum.skipped + c.skipped,
    bytes: sum.bytes + c.bytes,
  }),
  { copied: 0, skipped: 0, bytes: 0 },
);
console.log(`total: ${line(total)}`);
console.log(
  "done. Next: set BLOB_STORE=s3 with these S3_* variables for every web and inference process " +
    "and start them. Thumbnails are made again on demand; each inference machine fetches the " +
    "official models itself (pnpm weights:fetch).",
);
