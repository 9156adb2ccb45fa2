// Starts the real service for tests (this package's and packages/api's client test): a fresh
// migrated store, a temp DATA_DIR, the full HTTP API on an ephemeral port of 127.0.0.1.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RestartableTestServer } from "@studio/blob/testing";
import type { Db } from "@studio/db/client";
import { createTestDatabase } from "@studio/db/testing";
import pino from "pino";
import { type InferenceEnv, parseEnv, testRunSettings } from "./env";
import { NodeFiles } from "./node-files";
import type { NodeRegistration } from "./node-registry";
import { createService, type Service } from "./service";

/**
 * `stop` is a node that died (no listening, no heartbeat; the store and data dir stay),
 * `restart` listens on the same port and rejoins the registry, `cleanup` removes it all.
 */
export interface TestService extends Service, RestartableTestServer {
  url: string;
  port: number;
  token: string;
  dataDir: string;
  databaseUrl: string;
  db: Db;
  config: InferenceEnv;
  /** This node's entry in the store's registry (heartbeating while it listens). */
  node: NodeRegistration;
}

/**
 * A fresh service with its own store and data dir, or, with `sharing`, a second node of
 * another test service's installation: the same store and data dir (left to that one's
 * `cleanup`), its own port, models and previews. `overrides` may choose the blob store
 * (BLOB_STORE=s3 and the S3_* variables of @studio/blob/testing's server): with a remote store
 * the data dir holds only this node's temp files and cache.
 */
export async function startTestService(
  overrides: Record<string, string> = {},
  options: { sharing?: TestService } = {},
): Promise<TestService> {
  const shared = options.sharing;
  const store = shared
    ? { url: shared.databaseUrl, db: shared.db, cleanup: async () => {} }
    : await createTestDatabase({ prefix: "inference-test-" });
  const dataDir = shared?.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "inference-data-"));
  for (const dir of ["incoming", "uploads", "weights", "results", "tmp", "logs", "official"]) {
    mkdirSync(path.join(dataDir, dir), { recursive: true });
  }
  const token = "test-inference-token";
  const config = parseEnv({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    DATABASE_URL: store.url,
    INFERENCE_TOKEN: token,
    LOG_LEVEL: "silent",
    WORKER_ENABLED: "false",
    CLEANUP_ENABLED: "false",
    ...testRunSettings(),
    ...overrides,
  });
  const logger = pino({ level: config.LOG_LEVEL });
  // A second node on the same data dir needs a cache folder of its own (remote store only).
  const files = await NodeFiles.open({
    dataDir,
    blob: config.BLOB,
    cacheMb: config.BLOB_CACHE_MB,
    role: shared ? `server-${randomBytes(4).toString("hex")}` : "server",
  });
  let parts = await createService({ config, logger, db: store.db, files });
  const address = await parts.app.listen({ host: "127.0.0.1", port: 0 });
  const port = Number(new URL(address).port);
  const service: TestService = {
    ...parts,
    node: await parts.joinRegistry(port),
    url: address,
    port,
    token,
    dataDir,
    databaseUrl: store.url,
    db: store.db,
    config,
    async stop() {
      service.node.halt();
      await service.app.close();
      // A node that died does no work either (its tasks are reclaimed when their lease ends).
      await service.worker.stop(0).catch(() => {});
    },
    async restart() {
      // A fresh worker, not started (as at first start: call `worker.start()`). The same files (and, with a remote store, the same cache folder) as before.
      parts = await createService({ config, logger, db: store.db, files: service.files });
      Object.assign(service, parts);
      await parts.app.listen({ host: "127.0.0.1", port });
      service.node = await parts.joinRegistry(port);
    },
    async cleanup() {
      await service.node.stop();
      await service.app.close().catch(() => {});
      await service.worker.stop(0).catch(() => {});
      await service.models.cache.clear().catch(() => {});
      service.files.close();
      await store.cleanup();
      if (!shared) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return service;
}

/** A running service as its tests reach it over HTTP. */
type ServiceAddress = Pick<TestService, "url" | "token">;

/** The current value of one series on the service's /metrics (0 when absent), e.g. `inference_previews_total{outcome="ok"}`. */
export async function serviceMetric(service: ServiceAddress, series: string): Promise<number> {
  const response = await fetch(`${service.url}/metrics`, {
    headers: { authorization: `Bearer ${service.token}` },
  });
  const line = (await response.text()).split("\n").find((l) => l.startsWith(`${series} `));
  return Number(line?.split(" ")[1] ?? 0);
}

/** How many previews the service is computing right now (its /v1/system). */
export async function previewsRunning(service: ServiceAddress): Promise<number> {
  const response = await fetch(`${service.url}/v1/system`, {
    headers: { authorization: `Bearer ${service.token}` },
  });
  return ((await response.json()) as { preview: { running: number } }).preview.running;
}
