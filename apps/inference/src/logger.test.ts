import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "inference-logs-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("logger", () => {
  it("writes JSON lines to size-rotated files under DATA_DIR/logs and keeps the configured count", async () => {
    const { logger, close } = await createLogger(
      {
        LOG_LEVEL: "info",
        LOG_TO_FILE: true,
        LOG_FILE_SIZE: "1k",
        LOG_FILE_COUNT: 2,
        DATA_DIR: dataDir,
      },
      "rotation-test",
    );
    const stdoutWrite = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      for (let i = 0; i < 200; i++) {
        logger.info(
          { taskId: `t${i}`, weightSha256: "ab".repeat(32), device: "cpu", timings: { runMs: i } },
          "item succeeded",
        );
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      process.stdout.write = stdoutWrite;
      close();
    }
    const files = readdirSync(path.join(dataDir, "logs")).filter((f) =>
      f.startsWith("rotation-test"),
    );
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(3); // count rotated + the active one
    const lines = files
      .flatMap((f) => readFileSync(path.join(dataDir, "logs", f), "utf8").split("\n"))
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Older files were deleted, so only the most recent lines are left.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(200);
    expect(lines.find((l) => l.taskId === "t199")).toMatchObject({
      msg: "item succeeded",
      service: "rotation-test",
      device: "cpu",
    });
    expect(lines.find((l) => l.taskId === "t0")).toBeUndefined();
  });
});
