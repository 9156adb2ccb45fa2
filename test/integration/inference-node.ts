// An inference node as a deployment runs it, for the scale-out tests: its own process group
// (service, worker and preview processes), its own port, a given store and data directory.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { resetEnvForTests } from "@studio/api/testing";
import type { createClient } from "@studio/client";
import { buildTinySrModel } from "@studio/core/testing";

const INFERENCE_DIR = path.resolve(import.meta.dirname, "../../apps/inference");

export const NODE_TOKEN = "scale-out-test-token";

export interface InferenceNodeProcess {
  child: ChildProcess;
  /** SIGKILL to the whole process group: the node dies without a word. */
  kill(): void;
}

export function startInferenceNode(options: {
  id: string;
  databaseUrl: string;
  dataDir: string;
}): InferenceNodeProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: INFERENCE_DIR,
    detached: true,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      NODE_OPTIONS: "",
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: options.dataDir,
      INFERENCE_TOKEN: NODE_TOKEN,
      INFERENCE_HOST: "127.0.0.1",
      INFERENCE_PORT: "0",
      NODE_ID: options.id,
      // Down after five silent beats (5 s): long against a beat delayed by a busy machine,
      // short for the test waiting to see a killed node go down.
      NODE_HEARTBEAT_MS: "1000",
      WORKER_CONCURRENCY: "1",
      WORKER_POLL_MS: "200",
      // A killed node's task is taken back after this (heartbeats renew it every half), and a
      // live node's heartbeat has seconds to spare on a busy machine.
      WORKER_LEASE_MS: "6000",
      WORKER_RETRY_BASE_MS: "0",
      ORT_INTRA_OP_THREADS: "1",
      PREVIEW_MAX_CONCURRENT: "1",
      CLEANUP_ENABLED: "false",
      LOG_LEVEL: "warn",
      LOG_TO_FILE: "false",
    },
  });
  return {
    child,
    kill() {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    },
  };
}

/** A data directory shared by the nodes and this process's API (DATA_DIR pointed at it). */
export function sharedDataDir(prefix: string): string {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const dir of ["uploads", "weights", "results", "tmp", "logs", "official"]) {
    mkdirSync(path.join(dataDir, dir), { recursive: true });
  }
  process.env.DATA_DIR = dataDir;
  resetEnvForTests();
  return dataDir;
}

/** The tiny x2 super-resolution model, uploaded and validated through the API. */
export function uploadTinySr(client: ReturnType<typeof createClient>) {
  const sr = buildTinySrModel({ scale: 2 });
  return client.uploadWeight({
    data: sr.bytes,
    format: "onnx",
    taskKind: "super_resolution",
    name: "tiny-sr",
    family: "test",
    version: "1",
    spec: { kind: "super_resolution", scale: 2, receptiveField: sr.receptiveField },
  });
}
