// An inference node as a deployment runs it, for the scale-out tests and the scale-out bench: its
// own process group (service, worker and preview processes), its own port, a given store, blob
// store and data directory. No vitest here (the bench imports it); test steps are in scale-out.ts.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { createRegistryClient } from "@studio/api/inference";
import { makeTeam, makeUser, resetEnvForTests } from "@studio/api/testing";
import { createClient } from "@studio/client";
import { buildTinySrModel } from "@studio/core/testing";
import type { Db } from "@studio/db/client";
import { fixturePath } from "@studio/fixtures";

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
  /** More variables, e.g. the blob store's (BLOB_STORE=s3, S3_*). */
  env?: Record<string, string>;
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
      ...options.env,
    },
  });
  return {
    child,
    kill() {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    },
  };
}

/** A fresh, empty data directory (a machine's own disk). */
export function freshDataDir(prefix: string): string {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const dir of ["uploads", "weights", "results", "tmp", "logs", "official"]) {
    mkdirSync(path.join(dataDir, dir), { recursive: true });
  }
  return dataDir;
}

/**
 * Points this process's API at a data directory (and a blob store, when `blobEnv` names one):
 * with the local store the nodes share it; with S3 it is the web machine's own disk.
 */
export function useDataDirForApi(dataDir: string, blobEnv: Record<string, string> = {}) {
  process.env.DATA_DIR = dataDir;
  Object.assign(process.env, blobEnv);
  resetEnvForTests();
}

/** A data directory shared by the nodes and this process's API (DATA_DIR pointed at it). */
export function sharedDataDir(prefix: string): string {
  const dataDir = freshDataDir(prefix);
  useDataDirForApi(dataDir);
  return dataDir;
}

/** Every file under `dir` (relative paths), to show what a machine kept on its own disk. */
export function filesUnder(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    : [];
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

/**
 * This process's API as a web machine of a scale-out runs it: routed to nodes through the
 * registry alone (no fallback address), with a site admin's token and team for the client.
 */
export async function serveApiOnRegistry(db: Db, tokenName: string) {
  const admin = await makeUser(db, { siteAdmin: true });
  const teamId = (await makeTeam(db, [{ userId: admin.id, role: "ADMIN" }])).id;
  const { token } = await createApiToken(db, admin.id, { name: tokenName });
  const server = await serveNode(
    createApiHandler({
      db,
      inference: createRegistryClient(db, { fallbackUrl: "http://127.0.0.1:9", token: NODE_TOKEN }),
    }),
  );
  return { server, teamId, client: createClient({ url: server.url, token, teamId }) };
}

/** Queues `count` tasks on one image, the weight of each chosen by its number. */
export async function queueTasks(
  client: ReturnType<typeof createClient>,
  teamId: string,
  options: { count: number; imageId: string; weightFor: (index: number) => string },
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const { id } = await client.trpc.tasks.create.mutate({
      teamId,
      weightId: options.weightFor(i),
      target: { type: "image", imageId: options.imageId },
      params: {},
    });
    ids.push(id);
  }
  return ids;
}

/** The photo every scale-out test and the benchmark run their tiny tasks on. */
export const CHELSEA_PNG = readFileSync(fixturePath("chelsea.png"));

/**
 * The tiny x2 model and the photo, uploaded through the API, and `count` x2 tasks of them
 * queued: the work of the outage tests and the scale-out benchmark.
 */
export async function queueTinySrTasks(
  client: ReturnType<typeof createClient>,
  teamId: string,
  count: number,
) {
  const weight = await uploadTinySr(client);
  const image = await client.uploadImage({ data: CHELSEA_PNG, name: "chelsea.png" });
  const taskIds = await queueTasks(client, teamId, {
    count,
    imageId: image.id,
    weightFor: () => weight.id,
  });
  return { weight, image, taskIds };
}
