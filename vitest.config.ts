import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One vitest run over every package: `pnpm test` (scripts/test.mjs) runs this and prints the
// closing `N passed, N failed` line. Each workspace is a project named after its package and
// inherits the settings below; apps/web has its own config for its `~` alias. A package's own
// `pnpm test` runs its project through this file (`vitest run --root ../.. --project <name>`).
const workspaces = [
  ["@studio/api", "packages/api"],
  ["@studio/client", "packages/client"],
  ["@studio/contracts", "packages/contracts"],
  ["@studio/core", "packages/core"],
  ["@studio/db", "packages/db"],
  ["@studio/inference", "apps/inference"],
  ["@studio/test", "test"],
] as const;

export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "**/generated/**", "**/.next/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      ...workspaces.map(([name, root]) => ({
        extends: true as const,
        // Absolute, so a package's own `pnpm test` (run from its folder) finds the same files.
        test: {
          name,
          root: fileURLToPath(new URL(root, import.meta.url)),
          include: ["**/*.test.ts"],
        },
      })),
      "apps/web",
    ],
  },
});
