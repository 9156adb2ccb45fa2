import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";
import { modelSettings } from "./models";

describe("env", () => {
  it("defaults to 127.0.0.1:4010, a data dir in the repo and its SQLite file", () => {
    const env = parseEnv({});
    expect(env.INFERENCE_HOST).toBe("127.0.0.1");
    expect(env.INFERENCE_PORT).toBe(4010);
    expect(path.isAbsolute(env.DATA_DIR)).toBe(true);
    expect(env.DATABASE_URL).toBe(`file:${path.join(env.DATA_DIR, "studio.db")}`);
    expect(env.CLEANUP_MAX_AGE_MS).toBe(24 * 60 * 60 * 1000);
    expect(env.CLEANUP_INTERVAL_MS).toBe(60 * 60 * 1000);
    expect(env.WORKER_CONCURRENCY).toBeGreaterThanOrEqual(1);
    expect(env.ORT_INTRA_OP_THREADS).toBeGreaterThanOrEqual(1);
  });

  it("requires INFERENCE_TOKEN in production", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/INFERENCE_TOKEN is required/);
    expect(parseEnv({ NODE_ENV: "production", INFERENCE_TOKEN: "s" }).INFERENCE_TOKEN).toBe("s");
  });

  it("validates numbers and switches", () => {
    expect(() => parseEnv({ INFERENCE_PORT: "70000" })).toThrow();
    expect(() => parseEnv({ WORKER_CONCURRENCY: "0" })).toThrow();
    expect(parseEnv({ CLEANUP_ENABLED: "off", WORKER_CONCURRENCY: "4" })).toMatchObject({
      CLEANUP_ENABLED: false,
      WORKER_CONCURRENCY: 4,
    });
  });

  it("hands the onnxruntime settings to every model store; threads do not spin unless asked", () => {
    const defaults = modelSettings(parseEnv({ ORT_INTRA_OP_THREADS: "3" }));
    expect(defaults).toMatchObject({ intraOpThreads: 3, interOpThreads: 1, spinWait: false });
    expect(modelSettings(parseEnv({ ORT_SPIN_WAIT: "true" })).spinWait).toBe(true);
  });
});
