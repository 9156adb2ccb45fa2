// The official weights in the installation the browser tests start.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./paths";

/**
 * Official weights are fetched (checksum-verified) into <repo>/data/official by the setup
 * script; the temp DATA_DIR links to them and the store records them, as setup does.
 */
export function provideOfficialWeights(dataDir: string, databaseUrl: string): void {
  const source = join(REPO_ROOT, "data/official");
  if (!existsSync(source) || readdirSync(source).length === 0) {
    const fetched = spawnSync("pnpm", ["--filter", "@studio/core", "fetch-official"], {
      cwd: REPO_ROOT,
      stdio: "inherit",
      env: { ...process.env, DATA_DIR: join(REPO_ROOT, "data") },
    });
    if (fetched.status !== 0) throw new Error("fetching the official weights failed");
  }
  const target = join(dataDir, "official");
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(source)) symlinkSync(join(source, name), join(target, name));
  const registered = spawnSync(
    join(REPO_ROOT, "node_modules/.bin/tsx"),
    ["scripts/register-official.ts"],
    {
      cwd: join(REPO_ROOT, "packages/api"),
      encoding: "utf8",
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: databaseUrl, NODE_ENV: "test" },
    },
  );
  if (registered.status !== 0) {
    throw new Error(
      `registering the official weights failed:\n${registered.stdout}\n${registered.stderr}`,
    );
  }
}
