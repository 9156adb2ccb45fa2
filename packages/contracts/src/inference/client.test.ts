// The typed client's own behaviour when the service hangs: time-outs, and no repeat of a slow
// computation. Against the real service: test/integration/inference-client.test.ts.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInferenceClient, InferenceUnavailableError } from "./client";

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
    let attempts = 0;
    const c = createInferenceClient({
      baseUrl: url,
      token: "t",
      timeoutMs: 200,
      retries: 1,
      retryDelayMs: 10,
      fetch: (input, init) => {
        attempts++;
        return fetch(input, init);
      },
    });
    const started = performance.now();
    // Without working time-outs this never settles and the test fails on vitest's own limit.
    const error = await c.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceUnavailableError);
    expect((error as Error).cause).toMatchObject({ name: "TimeoutError" });
    expect(attempts).toBe(2);
    // Both attempts waited for their time-out: a lower bound, which no machine can undercut.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 200 - 5);
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
        // Long enough for the request to reach the server on a busy machine (at 200 ms it once
        // did not, under two test runs on 2 cores): the test counts it there.
        previewTimeoutMs: 1_000,
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
