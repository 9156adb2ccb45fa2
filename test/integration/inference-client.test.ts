import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import {
  createInferenceClient,
  InferenceRequestError,
  InferenceUnavailableError,
} from "@studio/contracts/inference-client";
import { fixturePath } from "@studio/fixtures";
import { startTestService, type TestService } from "@studio/inference/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The typed client of @studio/contracts against the real inference service (HTTP API on an
// ephemeral port, real store file, real ORT). Its time-outs and retries without a service are
// tested beside it in packages/contracts.
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
      .validateWeight({ key: "weights/missing.onnx", taskKind: "segmentation" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceRequestError);
    expect(error).toMatchObject({ status: 404, code: "not_found" });
  });

  it("has an NCNN pair converted and reads the ONNX file's description", async () => {
    // Staged as the web app stages uploads: in the (local) blob store under incoming/.
    mkdirSync(path.join(service.dataDir, "incoming"), { recursive: true });
    for (const ext of ["param", "bin"]) {
      copyFileSync(
        fixturePath(`realesr-animevideov3-x4.${ext}`),
        path.join(service.dataDir, "incoming", `client.${ext}`),
      );
    }
    const converted = await client().convertWeight({
      kind: "ncnn",
      param: "incoming/client.param",
      bin: "incoming/client.bin",
    });
    expect(converted).toMatchObject({
      kind: "ncnn",
      key: expect.stringMatching(/^incoming\/[0-9a-f]{32}\.onnx$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      report: { inputChannels: 3, weightStorage: { float16: expect.any(Number) } },
    });
    expect(existsSync(path.join(service.dataDir, converted.key))).toBe(true);

    const refused = await client()
      .convertWeight({ kind: "ncnn", param: "incoming/client.param", bin: "weights/client.bin" })
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

  it("reports one clear error when the service is down, after its retries", async () => {
    await service.stop();
    try {
      const attempts: string[] = [];
      const counting: typeof fetch = (input, init) => {
        attempts.push(String(input));
        return fetch(input, init);
      };
      const error = await client({ retries: 2, fetch: counting })
        .health()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InferenceUnavailableError);
      expect((error as Error).message).toBe("inference service unavailable");
      expect(attempts).toEqual(Array(3).fill(`${service.url}/health`));
    } finally {
      await service.restart();
    }
  });

  it("retries an idempotent call while the service restarts", async () => {
    await service.stop();
    // The first attempt finds the service down; the restart completes before that attempt's
    // failure reaches the client, so the retry finds it up however long the restart takes.
    let attempts = 0;
    const restartingAfterFirstAttempt: typeof fetch = async (input, init) => {
      attempts++;
      try {
        return await fetch(input, init);
      } catch (error) {
        if (attempts === 1) await service.restart();
        throw error;
      }
    };
    const system = await client({ retries: 3, fetch: restartingAfterFirstAttempt }).system();
    expect(system.hostname).toBeTruthy();
    expect(attempts).toBe(2);
  });
});
