import { copyFileSync, existsSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import path from "node:path";
import { startTestService, type TestService } from "@studio/inference/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createInferenceClient,
  InferenceRequestError,
  InferenceUnavailableError,
} from "./inference-client";

// The real inference service (HTTP API on an ephemeral port, real store file, real ORT).
let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.cleanup();
});

const client = (overrides: Partial<Parameters<typeof createInferenceClient>[0]> = {}) =>
  createInferenceClient({
    baseUrl: service.url,
    token: service.token,
    retryDelayMs: 50,
    ...overrides,
  });

describe("inference client against the real service", () => {
  it("reads health, readiness, system status and metrics", async () => {
    const c = client();
    expect(await c.health()).toMatchObject({ status: "ok" });
    const ready = await c.ready();
    expect(ready.ready).toBe(true);
    expect(ready.checks.onnxruntime.providers.map((p) => p.name)).toContain("cpu");
    const system = await c.system();
    expect(system.cpu.cores).toBeGreaterThan(0);
    expect(system.versions.onnxruntime).toBeTruthy();
    expect(await c.metrics()).toContain("inference_tasks");
  });

  it("turns an error answer into InferenceRequestError with the service's code", async () => {
    const error = await client()
      .validateWeight({ path: "weights/missing.onnx", taskKind: "segmentation" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceRequestError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
  });

  it("has an NCNN pair converted and reads the ONNX file's description", async () => {
    const fixtures = path.resolve(import.meta.dirname, "../test/fixtures");
    for (const ext of ["param", "bin"]) {
      copyFileSync(
        path.join(fixtures, `realesr-animevideov3-x4.${ext}`),
        path.join(service.dataDir, "tmp", `client.${ext}`),
      );
    }
    const converted = await client().convertWeight({
      kind: "ncnn",
      param: "tmp/client.param",
      bin: "tmp/client.bin",
    });
    expect(converted).toMatchObject({
      kind: "ncnn",
      path: expect.stringMatching(/^tmp\/[0-9a-f]{32}\.onnx\.part$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      report: { inputChannels: 3, weightStorage: { float16: expect.any(Number) } },
    });
    expect(existsSync(path.join(service.dataDir, converted.path))).toBe(true);

    const refused = await client()
      .convertWeight({ kind: "ncnn", param: "tmp/client.param", bin: "weights/client.bin" })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InferenceRequestError);
    expect(refused).toMatchObject({ status: 400, code: "bad_request" });
  });

  it("is refused with a wrong token", async () => {
    const error = await client({ token: "wrong" })
      .system()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("reports one clear error when the service is down", async () => {
    await service.stop();
    try {
      const started = Date.now();
      const error = await client({ retries: 2 })
        .health()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InferenceUnavailableError);
      expect((error as Error).message).toBe("inference service unavailable");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await service.restart();
    }
  });

  it("retries an idempotent call while the service restarts", async () => {
    await service.stop();
    const pending = client({ retries: 6, retryDelayMs: 100 }).system();
    await new Promise((r) => setTimeout(r, 250));
    await service.restart();
    const system = await pending;
    expect(system.hostname).toBeTruthy();
  });
});

describe("inference client time-outs", () => {
  let hung: Server;
  let url: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // A peer that accepts connections and never answers: a hung service.
    hung = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    const address = hung.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => hung.close(resolve));
  });

  it("gives up after the time-out with InferenceUnavailableError", async () => {
    const c = createInferenceClient({
      baseUrl: url,
      token: "t",
      timeoutMs: 200,
      retries: 1,
      retryDelayMs: 10,
    });
    const started = Date.now();
    const error = await c.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("does not repeat a slow computation that timed out", async () => {
    const requests: string[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.on("data", (chunk: Buffer) => requests.push(chunk.toString().split("\r\n")[0] ?? ""));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const c = createInferenceClient({
        baseUrl: `http://127.0.0.1:${port}`,
        token: "t",
        previewTimeoutMs: 200,
        retries: 3,
        retryDelayMs: 10,
      });
      const error = await c
        .preview({ weightId: "w", imageId: "i", crop: { x: 0, y: 0, width: 8, height: 8 } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InferenceUnavailableError);
      expect(requests.filter((line) => line.startsWith("POST /v1/preview"))).toHaveLength(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
