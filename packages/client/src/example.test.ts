// The README example end to end: real inference service with its task worker, the API over
// real HTTP, a token, an official super-resolution weight validated by the service.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { createInferenceClient } from "@studio/api/inference-client";
import { makeUser, resetEnvForTests } from "@studio/api/testing";
import { buildTinySrModel } from "@studio/core/onnx/testing";
import { startTestService, type TestService } from "@studio/inference/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { upscale } from "../examples/upscale";
import { createClient } from "./index";

let svc: TestService;
let server: Awaited<ReturnType<typeof serveNode>>;

beforeAll(async () => {
  svc = await startTestService({ WORKER_ENABLED: "true", WORKER_POLL_MS: "100" });
  // The test service builds the worker without starting it, as main.ts would.
  await svc.worker.start();
  process.env.DATA_DIR = svc.dataDir;
  resetEnvForTests();
  const inference = createInferenceClient({ baseUrl: svc.url, token: svc.token });
  server = await serveNode(createApiHandler({ db: svc.db, inference }));
}, 120_000);
afterAll(async () => {
  await server?.close();
  await svc?.cleanup();
});

it("uploads, upscales with the official default weight, waits and saves the PNG", async () => {
  const admin = await makeUser(svc.db, { siteAdmin: true });
  const user = await makeUser(svc.db);
  const adminClient = createClient({
    url: server.url,
    token: (await createApiToken(svc.db, admin.id, { name: "a" })).token,
  });
  const weight = await adminClient.uploadWeight({
    data: buildTinySrModel({ scale: 2, seed: 3 }).bytes,
    official: true,
    taskKind: "super_resolution",
    name: "Tiny x2",
    family: "tiny",
    version: "1",
  });
  await adminClient.trpc.weights.official.setDefault.mutate({ weightId: weight.id });

  const out = path.join(mkdtempSync(path.join(tmpdir(), "example-")), "out.png");
  const input = path.resolve(import.meta.dirname, "../test/fixtures/chelsea.png");
  const lines: string[] = [];
  const token = (await createApiToken(svc.db, user.id, { name: "u" })).token;
  await upscale({ url: server.url, token, input, output: out, log: (l) => lines.push(l) });
  const png = readFileSync(out);
  expect(png.subarray(1, 4).toString()).toBe("PNG");
  // IHDR: twice the input's 451x300
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([902, 600]);
  expect(lines.at(-1)).toContain("saved");
});
