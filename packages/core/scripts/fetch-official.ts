// `pnpm weights:fetch`: downloads, verifies and stores the official models in DATA_DIR/official.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { fetchOfficialWeights, OFFICIAL_MODELS, OfficialFetchError } from "../src/official";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "pnpm-workspace.yaml")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

// This script is an entry point of its own, so it validates the variables it reads here.
// pnpm runs it inside packages/core: a relative DATA_DIR is taken relative to where the user
// ran the command (INIT_CWD), not to this package.
const env = z
  .object({ DATA_DIR: z.string().min(1).optional(), INIT_CWD: z.string().min(1).optional() })
  .parse(process.env);
const dataDir = resolve(env.INIT_CWD ?? process.cwd(), env.DATA_DIR ?? join(repoRoot(), "data"));

const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = only.filter((n) => !OFFICIAL_MODELS.some((m) => m.name === n));
if (unknown.length > 0) {
  console.error(
    `unknown model(s): ${unknown.join(", ")}; known: ${OFFICIAL_MODELS.map((m) => m.name).join(", ")}`,
  );
  process.exit(2);
}
const models =
  only.length > 0 ? OFFICIAL_MODELS.filter((m) => only.includes(m.name)) : OFFICIAL_MODELS;

console.log(`official weights -> ${join(dataDir, "official")}`);
try {
  const results = await fetchOfficialWeights({
    dataDir,
    models,
    log: (m) => console.log(`  ${m}`),
  });
  const fetched = results.filter((r) => r.status === "fetched").length;
  console.log(`done: ${fetched} fetched, ${results.length - fetched} already present and verified`);
} catch (error) {
  if (error instanceof OfficialFetchError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
