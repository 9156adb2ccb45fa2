// Starts the real service for tests (this package's and packages/api's client test): a fresh
// migrated store, a temp DATA_DIR, the full HTTP API on an ephemeral port of 127.0.0.1.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Db } from "@studio/db/client";
import { createTestDatabase } from "@studio/db/testing";
import pino from "pino";
import { type InferenceEnv, parseEnv, testRunSettings } from "./env";
import type { NodeRegistration } from "./node-registry";
import { createService, type Service } from "./service";

export interface TestService extends Service {
  url: string;
  port: number;
  token: string;
  dataDir: string;
  databaseUrl: string;
  db: Db;
  config: InferenceEnv;
  /** This node's entry in the store's registry (heartbeating while it listens). */
  node: NodeRegistration;
  /** Stops listening and heartbeating, like a node that died (the store and data dir stay). */
  stop(): Promise<void>;
  /** Listens again on the same port and rejoins the registry, as a restarted service would. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A fresh service with its own store and data dir, or, with `sharing`, a second node of
 * another test service's installation: the same store and data dir (left to that one's
 * `cleanup`), its own port, models and previews.
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
  for (const dir of ["uploads", "weights", "results", "tmp", "logs", "official"]) {
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
  let parts = await createService({ config, logger, db: store.db });
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
    },
    async restart() {
      parts = await createService({ config, logger, db: store.db });
      Object.assign(service, parts);
      await parts.app.listen({ host: "127.0.0.1", port });
      service.node = await parts.joinRegistry(port);
    },
    async cleanup() {
      await service.node.stop();
      await service.app.close().catch(() => {});
      await service.worker.stop(0).catch(() => {});
      await service.models.cache.clear().catch(() => {});
      await store.cleanup();
      if (!shared) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return service;
}
