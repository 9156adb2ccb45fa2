import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readyResponseSchema } from "@studio/contracts/inference/system";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "./server";

const TOKEN = "test-token-0123456789";
let app: FastifyInstance;
let base: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "inference-server-"));
  app = await buildServer({
    config: { DATA_DIR: dataDir, INFERENCE_TOKEN: TOKEN, BODY_LIMIT_BYTES: 1024 * 1024 },
    logger: pino({ level: "silent" }),
    pingStore: async () => {},
  });
  base = await app.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("HTTP API basics", () => {
  it("answers /health without a token", async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", pid: process.pid });
  });

  it("refuses calls without a token", async () => {
    const res = await fetch(`${base}/ready`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("refuses calls with a wrong token, including one of another length", async () => {
    for (const wrong of ["test-token-0123456788", "x", `${TOKEN}x`]) {
      const res = await fetch(`${base}/ready`, { headers: { authorization: `Bearer ${wrong}` } });
      expect(res.status).toBe(401);
    }
  });

  it("refuses an unknown route without a token before saying it does not exist", async () => {
    const res = await fetch(`${base}/v1/nothing`);
    expect(res.status).toBe(401);
  });

  it("reports readiness with the token: data dir, store and onnxruntime providers", async () => {
    const res = await fetch(`${base}/ready`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = readyResponseSchema.parse(await res.json());
    expect(res.status).toBe(200);
    expect(body.ready).toBe(true);
    expect(body.checks.dataDir.path).toBe(dataDir);
    expect(body.checks.onnxruntime.providers.map((p) => p.name)).toContain("cpu");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await fetch(`${base}/v1/nothing`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
