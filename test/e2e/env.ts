// Switches for the browser test harness. (zod is not a dependency of @studio/test, so the two
// flags are checked by hand.)
function flag(name: "E2E_REBUILD" | "E2E_KEEP_DATA"): "0" | "1" {
  const value = process.env[name] ?? "0";
  if (value !== "0" && value !== "1") throw new Error(`${name} must be 0 or 1, got ${value}`);
  return value;
}

export const e2eEnv = {
  /** Rebuild apps/web even when a build exists. */
  E2E_REBUILD: flag("E2E_REBUILD"),
  /** Keep the temp DATA_DIR (with server.log) after the run, for debugging. */
  E2E_KEEP_DATA: flag("E2E_KEEP_DATA"),
};
