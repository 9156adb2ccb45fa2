import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One vitest run over every package: `pnpm test` (scripts/test.mjs) runs this and prints the
// closing `N passed, N failed` line. Each workspace is a project named after its package and
// inherits the settings below; apps/web has its own config for its `~` alias. A package's own
// `pnpm test` runs its project through this file (`vitest run --root ../.. --project <name>`).
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

// The store tests run on SQLite and on PostgreSQL: one private PostgreSQL cluster per run.
const globalSetup: Record<string, string[]> = {
  "@studio/db": [
    fileURLToPath(new URL("packages/db/src/postgres-global-setup.ts", import.meta.url)),
  ],
};

const TEST_ENV = { PASSWORD_SCRYPT_LOG_N: "14" };

export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "**/generated/**", "**/.next/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Password hashes at scrypt N=2^14 instead of 2^17 (16 instead of 128 MiB, ~40 instead of
    // ~300 ms): sign-in tests hash dozens of times. password.test.ts checks the default cost.
    env: TEST_ENV,
    projects: [
      ...workspaces.map(([name, root]) => ({
        extends: true as const,
        // Absolute, so a package's own `pnpm test` (run from its folder) finds the same files.
        test: {
          name,
          root: fileURLToPath(new URL(root, import.meta.url)),
          include: ["**/*.test.ts"],
          ...(globalSetup[name] ? { globalSetup: globalSetup[name] } : {}),
        },
      })),
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
        },
      },
      "apps/web",
    ],
  },
});
