import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "*.test.ts", "**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/generated/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
