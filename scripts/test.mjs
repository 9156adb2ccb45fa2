// `npm test`: installs what the suite needs (dependencies, store, official weights,
// Chromium), checks types and lint, runs every package's tests and the cross-package and
// browser tests in one vitest run, and ends with the plain line `N passed, N failed`
// (the type check and the lint count as one test each).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { log, pnpmCommand, repoRoot, runPnpm } from "./lib.mjs";
import { setup } from "./setup.mjs";

const env = setup({ browser: true });
const [command, ...prefix] = pnpmCommand();
const pnpm = (args) =>
  spawnSync(command, [...prefix, ...args], { stdio: "inherit", cwd: repoRoot, env });

let passed = 0;
let failed = 0;
const vitestArgs = process.argv.slice(2);
// A filtered run (`npm test -- packages/core`) is for development: skip the whole-repo checks.
if (vitestArgs.length === 0) {
  for (const [name, args] of [
    ["typecheck", ["exec", "turbo", "run", "typecheck"]],
    ["lint", ["exec", "biome", "check", "."]],
  ]) {
    log(`checking: ${name}`);
    const ok = pnpm(args).status === 0;
    if (ok) passed += 1;
    else failed += 1;
    log(`${name} ${ok ? "passed" : "FAILED"}`);
  }
}

// The browser tests run the production build of the web app; turbo replays it when nothing changed.
log("building the web app");
runPnpm(["exec", "turbo", "run", "build", "--filter=@studio/web"], { env });

const resultsDir = path.join(repoRoot, "test-results");
mkdirSync(resultsDir, { recursive: true });
const jsonReport = path.join(resultsDir, "vitest.json");
rmSync(jsonReport, { force: true });
log("running the test suite");
const result = pnpm([
  "exec",
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${jsonReport}`,
  ...vitestArgs,
]);

let failedHere = 0;
if (existsSync(jsonReport)) {
  const report = JSON.parse(readFileSync(jsonReport, "utf8"));
  passed += report.numPassedTests ?? 0;
  failedHere = report.numFailedTests ?? 0;
  // A test file that fails to load has no failed test of its own; count it once.
  for (const file of report.testResults ?? []) {
    const failedInFile = (file.assertionResults ?? []).filter((t) => t.status === "failed").length;
    if (file.status === "failed" && failedInFile === 0) failedHere += 1;
  }
}
// A crash with no failing test counted still has to show as a failure.
if (result.status !== 0 && failedHere === 0) failedHere = 1;
failed += failedHere;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
