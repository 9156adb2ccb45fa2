import { defineConfig } from "vitest/config";

// One vitest run over every package: `pnpm test` (scripts/test.mjs) runs this and prints the
// closing `N passed, N failed` line. Each project keeps its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "test"],
  },
});
