// The test's half of isolated/hold.ts: hold an isolated validation or conversion at a named
// point, learn its pid once it is there, and let it go on.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HoldPoint } from "./isolated/hold";

export interface Holds {
  /** Pass as INFERENCE_TEST_HOLD_DIR to the service. */
  dir: string;
  /** Children reaching `point` from now on wait there. */
  arm(point: HoldPoint): void;
  /** Waits until a child is held at `point`; its pid. */
  reached(point: HoldPoint, timeoutMs?: number): Promise<number>;
  /** Lets every child held at `point` go on (and later ones pass). */
  release(point: HoldPoint): void;
  cleanup(): void;
}

export function createHolds(): Holds {
  const dir = mkdtempSync(path.join(os.tmpdir(), "inference-holds-"));
  const file = (point: HoldPoint, what: "hold" | "reached") => path.join(dir, `${point}.${what}`);
  return {
    dir,
    arm(point) {
      rmSync(file(point, "reached"), { force: true });
      writeFileSync(file(point, "hold"), "");
    },
    // Bounded only so that a broken hook fails the test instead of hanging it.
    async reached(point, timeoutMs = 120_000) {
      const end = Date.now() + timeoutMs;
      while (!existsSync(file(point, "reached"))) {
        if (Date.now() > end) throw new Error(`no process reached ${point}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const pid = Number(readFileSync(file(point, "reached"), "utf8"));
      rmSync(file(point, "reached"));
      return pid;
    },
    release(point) {
      rmSync(file(point, "hold"), { force: true });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
