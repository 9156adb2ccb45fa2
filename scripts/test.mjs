// `npm test`: installs what the suite needs (dependencies, store, official weights,
// Chromium, PostgreSQL), checks types and lint, runs every package's tests and the
// cross-package and browser tests in one vitest run, and ends with the plain line
// `N passed, N failed` (the type check and the lint count as one test each).
//
// Options of this script (taken out before the rest goes to vitest), to check that the suite
// passes on any machine:
//   --stress           one busy-looping process per core runs beside the tests (a busy machine)
//   --ort-threads=N    ORT_INTRA_OP_THREADS=N for every process (onnxruntime on N threads)

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { log as logLine, pnpmCommand, repoRoot, runPnpm } from "./lib.mjs";
import { setup } from "./setup.mjs";

const startedAt = Date.now();
/** A line of this script's, with the time since it started: where the suite's time goes. */
const log = (message) =>
  logLine(`${message} (at ${Math.round((Date.now() - startedAt) / 1000)} s)`);

const args = process.argv.slice(2);
const stress = args.includes("--stress");
const ortThreadsArg = args.find((a) => a.startsWith("--ort-threads="));
const vitestArgs = args.filter((a) => a !== "--stress" && a !== ortThreadsArg);
if (ortThreadsArg) {
  const threads = ortThreadsArg.slice("--ort-threads=".length);
  if (!/^[1-9]\d*$/.test(threads)) {
    console.error(`--ort-threads takes a whole number of threads, 1 or more (got "${threads}")`);
    process.exit(2);
  }
  // Before setup, so every process started from here on inherits it.
  process.env.ORT_INTRA_OP_THREADS = threads;
  log(`onnxruntime runs on ${threads} thread(s) in every process`);
}

/**
 * One busy loop per core, beside the tests. Each also ends by itself once this script is gone
 * (it sees its parent change), so not even a SIGKILL of this script leaves one spinning.
 */
function startCpuHog() {
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const loop = `const parent = process.ppid;
for (;;) {
  const until = Date.now() + 200;
  while (Date.now() < until) {}
  if (process.ppid !== parent) process.exit(0);
}`;
  const hogs = Array.from({ length: cores }, () =>
    spawn(process.execPath, ["-e", loop], { stdio: "ignore" }),
  );
  const stop = () => {
    for (const hog of hogs)
      if (hog.exitCode === null && hog.signalCode === null) hog.kill("SIGKILL");
  };
  process.on("exit", stop);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      stop();
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    });
  }
  log(`stress: ${cores} busy-looping process(es) run beside the tests`);
  return stop;
}

const env = setup({ browser: true, postgres: true });
log("set up");
const [command, ...prefix] = pnpmCommand();
const pnpm = (args) =>
  spawnSync(command, [...prefix, ...args], { stdio: "inherit", cwd: repoRoot, env });

let passed = 0;
let failed = 0;
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
const stopCpuHog = stress ? startCpuHog() : () => {};
const result = pnpm([
  "exec",
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${jsonReport}`,
  ...vitestArgs,
]);
stopCpuHog();

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
log("done");
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
