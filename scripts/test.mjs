// `npm test`: installs what the suite needs (dependencies, store, official weights,
// Chromium), runs every package's tests and the cross-package and browser tests in one
// vitest run, and ends with the plain line `N passed, N failed`.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { log, pnpmCommand, repoRoot, runPnpm } from "./lib.mjs";
import { setup } from "./setup.mjs";
import { spawnSync } from "node:child_process";

const env = setup({ browser: true });
// The browser tests run the production build of the web app; turbo replays it when nothing changed.
log("building the web app");
runPnpm(["exec", "turbo", "run", "build", "--filter=@studio/web"], { env });
const resultsDir = path.join(repoRoot, "test-results");
mkdirSync(resultsDir, { recursive: true });
const jsonReport = path.join(resultsDir, "vitest.json");
rmSync(jsonReport, { force: true });

const [command, ...prefix] = pnpmCommand();
const args = [...prefix, "exec", "vitest", "run", "--reporter=default", "--reporter=json",
  `--outputFile.json=${jsonReport}`, ...process.argv.slice(2)];
log("running the test suite");
const result = spawnSync(command, args, { stdio: "inherit", cwd: repoRoot, env });

let passed = 0;
let failed = 0;
if (existsSync(jsonReport)) {
  const report = JSON.parse(readFileSync(jsonReport, "utf8"));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  // A test file that fails to load has no failed test of its own; count it once.
  for (const file of report.testResults ?? []) {
    const failedInFile = (file.assertionResults ?? []).filter((t) => t.status === "failed").length;
    if (file.status === "failed" && failedInFile === 0) failed += 1;
  }
}
if (result.status !== 0 && failed === 0) failed = 1; // a crash or a failed suite with no test counted
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || result.status !== 0 ? 1 : 0);
