// The README's upscale example (packages/client/examples/upscale.ts) run as its own process, as a
// developer runs it, against the API over real HTTP and the real inference service with its task
// worker: a token, an official super-resolution weight validated by the service. (The same
// example against the built web app: client-example.test.ts.)
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { makeUser } from "@studio/api/testing";
import { createClient } from "@studio/client";
import { buildTinySrModel } from "@studio/core/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pngSize } from "../e2e/png";
import { serviceClient, useServiceForApi } from "./api-on-service";

const CLIENT_DIR = path.resolve(import.meta.dirname, "../../packages/client");
const INPUT = fixturePath("microaneurysms.png");

const svc = useServiceForApi({ overrides: { WORKER_ENABLED: "true", WORKER_POLL_MS: "100" } });
let server: Awaited<ReturnType<typeof serveNode>>;
let outDir: string;

beforeAll(async () => {
  // The test service builds the worker without starting it, as main.ts would.
  await svc.worker.start();
  server = await serveNode(createApiHandler({ db: svc.db, inference: serviceClient(svc) }));
  outDir = mkdtempSync(path.join(tmpdir(), "client-upscale-"));
}, 120_000);
afterAll(async () => {
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
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

  const output = path.join(outDir, "out.png");
  const token = (await createApiToken(svc.db, user.id, { name: "u" })).token;
  const run = await promisify(execFile)(
    process.execPath,
    [
      "--import",
      "tsx",
      "examples/upscale.ts",
      "--url",
      server.url,
      "--token",
      token,
      INPUT,
      output,
    ],
    { cwd: CLIENT_DIR, env: process.env },
  );
  const input = pngSize(INPUT);
  expect(pngSize(output)).toEqual({
    width: input.width * 2,
    height: input.height * 2,
  });
  expect(run.stdout.trim().split("\n").at(-1)).toContain("saved");
});

it("downloads a WebP thumbnail that the inference service made", async () => {
  const user = await makeUser(svc.db);
  const client = createClient({
    url: server.url,
    token: (await createApiToken(svc.db, user.id, { name: "t" })).token,
  });
  const image = await client.uploadImage({ data: readFileSync(INPUT), name: "eye.png" });
  const thumb = Buffer.from(await client.downloadImage({ imageId: image.id, rendition: "thumb" }));
  expect([thumb.toString("latin1", 0, 4), thumb.toString("latin1", 8, 12)]).toEqual([
    "RIFF",
    "WEBP",
  ]);
});
