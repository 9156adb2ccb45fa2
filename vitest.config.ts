import os from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// One vitest run over every package: `pnpm test` (scripts/test.mjs) runs this and prints the
// closing `N passed, N failed` line. Each workspace is a project named after its package and
// inherits the settings below; apps/web has its own config for its `~` alias. A package's own
// `pnpm test` runs its project through this file (`vitest run --root ../.. --project <name>`).
//
// Files run side by side, one worker per core but one, at least two (WORKERS), the browser
// tests first, being the longest file (FirstBrowserTests): every test is independent of the
// machine's speed (README: "Testing on any machine"; `npm test -- --stress` checks it), so the
// compute tests (models, services with their task workers, whole installations) need no machine
// of their own, and a file's start-up and its waits on child processes overlap another file's
// work. Memory is measured per process, never machine-wide. One file at a time for the compute
// tests made the suite 3 minutes longer on 2 cores.
const WORKERS = Math.max(2, os.availableParallelism() - 1);
const workspaces = [
  ["@studio/api", "packages/api"],
  ["@studio/blob", "packages/blob"],
  ["@studio/client", "packages/client"],
  ["@studio/contracts", "packages/contracts"],
  ["@studio/core", "packages/core"],
  ["@studio/db", "packages/db"],
  ["@studio/inference", "apps/inference"],
  ["@studio/test", "test"],
] as const;
// Projects whose files share one module cache per worker (vitest `isolate: false`): their tests
// mock nothing and keep their state in objects they create (the API's environment variables are
// put back after each file: API_FILE_ENV), so a worker imports onnxruntime, sharp and Prisma once
// instead of once per file (1-2 s each on 2 cores).
const SHARED_MODULES = new Set<string>([
  "@studio/api",
  "@studio/blob",
  "@studio/client",
  "@studio/contracts",
  "@studio/core",
  "@studio/db",
]);
// Files that measure this process's own memory keep a process of their own (isolated), apart
// from their project's files that share one: another file's garbage freed during a measured run
// would read as memory given back.
const OWN_PROCESS: Record<string, string[]> = {
  "@studio/core": ["src/runtime/working-memory.test.ts"],
};
const BROWSER_PROJECT = "@studio/test e2e";
const BROWSER_TESTS = "e2e/**/*.test.ts";

class FirstBrowserTests extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isBrowser = (file: TestSpecification) => file.project.name === BROWSER_PROJECT;
    return [...sorted.filter(isBrowser), ...sorted.filter((file) => !isBrowser(file))];
  }
}

// Files of a project that shares modules start from the worker's own environment (they set
// DATA_DIR, NEXTAUTH_URL... for themselves).
const API_FILE_ENV = fileURLToPath(new URL("packages/api/src/test-file-env.ts", import.meta.url));
const setupFiles: Record<string, string[]> = { "@studio/api": [API_FILE_ENV] };

// The store tests run on SQLite and on PostgreSQL: one private PostgreSQL cluster per run.
const globalSetup: Record<string, string[]> = {
  "@studio/db": [
    fileURLToPath(new URL("packages/db/src/postgres-global-setup.ts", import.meta.url)),
  ],
};

// malloc as in the worker and preview processes (WORKER_MALLOC_ENV): a fixed mmap threshold, so
// freed feature maps go back to the system instead of staying resident, which would hide a
// run's growth from the working-memory measurements (runtime/working-memory.ts) after earlier
// tests in the same process freed memory.
const TEST_ENV = { PASSWORD_SCRYPT_LOG_N: "14", MALLOC_MMAP_THRESHOLD_: "131072" };

export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "**/generated/**", "**/.next/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Password hashes at scrypt N=2^14 instead of 2^17 (16 instead of 128 MiB, ~40 instead of
    // ~300 ms): sign-in tests hash dozens of times. password.test.ts checks the default cost.
    env: TEST_ENV,
    maxWorkers: WORKERS,
    sequence: { sequencer: FirstBrowserTests },
    projects: [
      ...workspaces.map(([name, root]) => ({
        extends: true as const,
        // Absolute, so a package's own `pnpm test` (run from its folder) finds the same files.
        test: {
          name,
          root: fileURLToPath(new URL(root, import.meta.url)),
          include: ["**/*.test.ts"],
          exclude: [
            ...(name === "@studio/test" ? [BROWSER_TESTS] : []),
            ...(OWN_PROCESS[name] ?? []),
          ],
          isolate: !SHARED_MODULES.has(name),
          ...(setupFiles[name] ? { setupFiles: setupFiles[name] } : {}),
          ...(globalSetup[name] ? { globalSetup: globalSetup[name] } : {}),
        },
      })),
      ...workspaces
        .filter(([name]) => OWN_PROCESS[name])
        .map(([name, root]) => ({
          extends: true as const,
          test: {
            name: `${name} own process`,
            root: fileURLToPath(new URL(root, import.meta.url)),
            include: OWN_PROCESS[name],
            // So that a test can collect an earlier one's garbage before it measures.
            execArgv: ["--expose-gc"],
          },
        })),
      {
        extends: true as const,
        test: {
          name: BROWSER_PROJECT,
          root: fileURLToPath(new URL("test", import.meta.url)),
          include: [BROWSER_TESTS],
        },
      },
      // The API's store-bound rules once more on PostgreSQL: sign-in back-off, rate limits
      // and quotas under advisory locks, the access matrix, and the services whose SQL or
      // locking differs (tasks, image deletion).
      {
        extends: true as const,
        test: {
          name: "@studio/api on PostgreSQL",
          root: fileURLToPath(new URL("packages/api", import.meta.url)),
          include: [
            "src/auth/**/*.test.ts",
            "src/authorization-matrix.test.ts",
            "src/services/images.test.ts",
            "src/services/tasks.test.ts",
            "src/routers/task-scores.test.ts",
            "src/routers/team-result-names.test.ts",
            "src/http/files/download.test.ts",
          ],
          env: { ...TEST_ENV, STUDIO_TEST_DATABASE: "postgresql" },
          globalSetup: globalSetup["@studio/db"],
          isolate: !SHARED_MODULES.has("@studio/api"),
          setupFiles: setupFiles["@studio/api"],
        },
      },
      "apps/web",
    ],
  },
});
