// Test hook: lets a test stop an isolated validation or conversion at an exact point of its
// work (for example right after it started writing its output) instead of guessing how long
// the work takes on the machine at hand. Off unless the service was started with
// INFERENCE_TEST_HOLD_DIR under NODE_ENV=test; the parent then passes the directory on the
// child's command line. Protocol, all files in that directory: the test creates
// `<point>.hold`; a child reaching the point writes its pid to `<point>.reached` and waits
// until `<point>.hold` is removed. The test's half is test-hold.ts.
import { existsSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";

const FLAG = "--test-hold-dir=";

/** Command-line arguments that hand the hold directory to a child. */
export function holdArgs(dir: string | undefined): string[] {
  return dir ? [`${FLAG}${dir}`] : [];
}

const dir = process.argv.find((a) => a.startsWith(FLAG))?.slice(FLAG.length);

export type HoldPoint = "convert-start" | "convert-writing" | "validate-start";

/** Waits here while a test holds `point`; returns at once otherwise. */
export async function holdPoint(point: HoldPoint): Promise<void> {
  if (!dir) return;
  const hold = path.join(dir, `${point}.hold`);
  if (!existsSync(hold)) return;
  const reached = path.join(dir, `${point}.reached`);
  // Renamed into place so the test never reads a half-written pid.
  await writeFile(`${reached}.${process.pid}`, String(process.pid));
  await rename(`${reached}.${process.pid}`, reached);
  while (existsSync(hold)) await new Promise((resolve) => setTimeout(resolve, 10));
}
