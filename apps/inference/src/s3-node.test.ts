// A node whose blob store is an S3 bucket (s3rver, spoken to through the AWS SDK) and whose
// DATA_DIR holds no copy of the installation's objects: tasks, previews, renditions,
// conversions, checks and validation read what the web app put in the bucket and leave what
// they make there; the cleanup job works on the bucket; a store outage during a task does not
// fail it for good. The test plays the web app: it seeds rows and puts their bytes in the bucket.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { S3BlobStore } from "@studio/blob/s3";
import { startTestS3Server, type TestS3Server } from "@studio/blob/testing";
import { createInferenceClient, type InferenceClient } from "@studio/contracts/inference-client";
import { probeImage } from "@studio/core/image";
import { readFixture } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCleanup } from "./cleanup";
import {
  type SeededWeight,
  seedCatImage,
  seedGrayImage,
  seedTask,
  seedTeam,
  seedTinySrWeight,
} from "./test-fixtures";
import { serviceMetric, startTestService, type TestService } from "./testing";

const DAY = 24 * 60 * 60 * 1000;

let s3: TestS3Server;
/** The bucket as the web app sees it. */
let bucket: S3BlobStore;
let node: TestService;
let client: InferenceClient;
/** Where the seed helpers write files before the test puts them in the bucket. */
let seedDir: string;
let team: { userId: string; teamId: string };
let weight: SeededWeight;
let imageId: string;

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Runs a seed helper against seedDir, then moves what it wrote into the bucket. */
async function seeded<T>(seed: (dataDir: string) => Promise<T>): Promise<T> {
  const value = await seed(seedDir);
  for (const relative of filesUnder(seedDir)) {
    const file = path.join(seedDir, relative);
    await bucket.put(relative.split(path.sep).join("/"), { file, consume: true });
  }
  return value;
}

const storagePathOf = async (id: string) =>
  (await node.db.image.findUniqueOrThrow({ where: { id }, select: { storagePath: true } }))
    .storagePath;

async function waitForFinal(taskId: string) {
  for (;;) {
    const task = await node.db.task.findUniqueOrThrow({
      where: { id: taskId },
      select: { status: true, attempts: true, error: true },
    });
    if (["succeeded", "partially_failed", "failed", "canceled"].includes(task.status)) return task;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const post = (route: string, body: unknown) =>
  fetch(`${node.url}${route}`, {
    method: "POST",
    headers: { authorization: `Bearer ${node.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  s3 = await startTestS3Server();
  bucket = new S3BlobStore(s3.config);
  seedDir = mkdtempSync(path.join(os.tmpdir(), "inference-s3-seed-"));
  node = await startTestService({
    ...s3.env,
    // A stopped server is refused at once; one attempt makes the outage visible without delay.
    S3_MAX_ATTEMPTS: "1",
    WORKER_POLL_MS: "50",
    WORKER_LEASE_MS: "5000",
    WORKER_CONCURRENCY: "1",
    WORKER_RETRY_BASE_MS: "100",
  });
  client = createInferenceClient({ baseUrl: node.url, token: node.token, retries: 0 });
  team = await seedTeam(node.db);
  weight = await seeded((dir) => seedTinySrWeight(node.db, dir, team.teamId));
  imageId = await seeded((dir) => seedCatImage(node.db, dir, team));
  await node.worker.start();
});
afterAll(async () => {
  await node?.cleanup();
  bucket?.close();
  await s3?.cleanup();
  if (seedDir) rmSync(seedDir, { recursive: true, force: true });
});

describe("an inference node on an S3 blob store", () => {
  it("runs a task, a preview, a rendition, a check, a validation and a conversion through the bucket", async () => {
    expect(node.files.kind).toBe("s3");

    const taskId = await seedTask(node.db, { ...team, weight, imageIds: [imageId] });
    expect(await waitForFinal(taskId)).toMatchObject({ status: "succeeded", attempts: 1 });
    const item = await node.db.taskItem.findFirstOrThrow({
      where: { taskId },
      select: { resultPath: true, resultSha256: true },
    });
    const resultKey = item.resultPath ?? "";
    expect(resultKey).toMatch(new RegExp(`^results/${taskId}/0000-a1\\.png$`));
    const result = await bucket.getBytes(resultKey);
    expect(createHash("sha256").update(result).digest("hex")).toBe(item.resultSha256);
    expect(await probeImage(result)).toMatchObject({ width: 902, height: 600 });

    const preview = await post("/v1/preview", {
      weightId: weight.weightId,
      imageId,
      crop: { x: 0, y: 0, width: 32, height: 32 },
      params: {},
    });
    expect(preview.status).toBe(200);
    expect(await preview.json()).toMatchObject({ width: 64, height: 64 });

    const target = `renditions/${team.teamId}/results/${taskId}-thumb.webp`;
    const rendition = { source: { kind: "result", key: resultKey }, rendition: "thumb", target };
    const made = await client.makeRendition(rendition as never);
    expect(made).toMatchObject({ ok: true, key: target, generated: true });
    expect(await probeImage(await bucket.getBytes(target))).toMatchObject({ format: "webp" });
    expect(await client.makeRendition(rendition as never)).toMatchObject({ generated: false });

    await bucket.put("incoming/check.png", readFixture("chelsea.png"));
    expect(await client.checkImage({ key: "incoming/check.png" })).toMatchObject({
      ok: true,
      width: 451,
      height: 300,
    });

    const validated = await client.validateWeight({
      key: `weights/${weight.sha256}.onnx`,
      taskKind: "super_resolution",
    });
    expect(validated).toMatchObject({ ok: true, sha256: weight.sha256 });

    // A 1x1 convolution and a nearest x2, as NCNN files staged by the web app.
    const param = `7767517
3 3
Input            in      0 1 data
Convolution      conv    1 1 data c 0=3 1=1 5=1 6=9
Interp           up      1 1 c out 0=1 1=2.0 2=2.0
`;
    const floats = Float32Array.from([2, 0, 0, 0, 1, 0, 0, 0, -1, 0.5, 0, 0]);
    const bin = new Uint8Array([...new Uint8Array(4), ...new Uint8Array(floats.buffer)]);
    await bucket.put("incoming/net.param", new TextEncoder().encode(param));
    await bucket.put("incoming/net.bin", bin);
    const converted = await client.convertWeight({
      kind: "ncnn",
      param: "incoming/net.param",
      bin: "incoming/net.bin",
      limits: {},
    });
    expect(converted.key).toMatch(/^incoming\/[0-9a-f]{32}\.onnx$/);
    const onnx = await bucket.getBytes(converted.key);
    expect(onnx.byteLength).toBe(converted.size);
    expect(createHash("sha256").update(onnx).digest("hex")).toBe(converted.sha256);

    // The node kept no copy of the installation's objects outside its cache and temp folders.
    for (const area of ["incoming", "uploads", "weights", "results", "renditions"]) {
      expect(filesUnder(path.join(node.dataDir, area)), area).toEqual([]);
    }
    // The conversion's staged inputs are removed as its answer goes out: wait for that, not a time.
    await expect.poll(() => filesUnder(path.join(node.dataDir, "tmp"))).toEqual([]);
    // What it read more than once (the weight, the image) is in its own cache.
    const cached = filesUnder(path.join(node.dataDir, "cache", "blobs", "server", "objects"));
    expect(cached).toContain(path.join("weights", `${weight.sha256}.onnx`));
  });

  it("cleans the bucket: unreferenced old staged and uploaded objects go, referenced ones stay", async () => {
    const kept = await seeded((dir) => seedGrayImage(node.db, dir, team));
    const keptKey = await storagePathOf(kept);
    await bucket.put("incoming/abandoned.part", new Uint8Array(300));
    await bucket.put(`uploads/${team.teamId}/orphan.png`, new Uint8Array(200));
    const report = await runCleanup({
      files: node.files,
      db: node.db,
      maxAgeMs: DAY,
      // Two days on, every object here is past the maximum age.
      now: new Date(Date.now() + 2 * DAY),
    });
    expect(await bucket.exists("incoming/abandoned.part")).toBe(false);
    expect(await bucket.exists(`uploads/${team.teamId}/orphan.png`)).toBe(false);
    expect(await bucket.exists(keptKey)).toBe(true);
    expect(await bucket.exists(await storagePathOf(imageId))).toBe(true);
    expect(await bucket.exists(`weights/${weight.sha256}.onnx`)).toBe(true);
    expect(report.byArea.incoming?.files).toBeGreaterThanOrEqual(1);
    expect(report.byArea.uploads).toEqual({ files: 1, bytes: 200 });
    expect(report.keptReferenced).toBeGreaterThanOrEqual(3);
  });

  it("hands a task back while the store is down and finishes it once the store is back", async () => {
    // An image the node has never read: its input, too, must come from the store.
    const image = await seeded((dir) => seedGrayImage(node.db, dir, team));
    const handedBack =
      'inference_task_run_seconds_count{kind="super_resolution",outcome="store_unavailable"}';
    const before = await serviceMetric(node, handedBack);
    await s3.stop();
    try {
      const ready = await fetch(`${node.url}/ready`, {
        headers: { authorization: `Bearer ${node.token}` },
      });
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        ready: false,
        checks: { blobStore: { ok: false, kind: "s3" } },
      });
      const preview = await post("/v1/preview", {
        weightId: weight.weightId,
        imageId: image,
        crop: { x: 0, y: 0, width: 16, height: 16 },
        params: {},
      });
      // The shared store, not this node: 502, which callers neither fail over on nor count.
      expect(preview.status).toBe(502);
      expect(await preview.json()).toEqual({
        error: {
          code: "storage_unavailable",
          message: "File storage is unreachable; try again shortly",
        },
      });

      const taskId = await seedTask(node.db, { ...team, weight, imageIds: [image] });
      // However long this machine takes: the worker has met the outage and handed it back.
      while ((await serviceMetric(node, handedBack)) === before)
        await new Promise((r) => setTimeout(r, 50));
      const during = await node.db.task.findUniqueOrThrow({
        where: { id: taskId },
        select: { status: true, attempts: true },
      });
      expect(["queued", "running"]).toContain(during.status);
      await s3.restart();
      const task = await waitForFinal(taskId);
      // The attempts the outage cost were given back.
      expect(task).toMatchObject({ status: "succeeded", attempts: 1 });
      const item = await node.db.taskItem.findFirstOrThrow({
        where: { taskId },
        select: { resultPath: true },
      });
      expect(await bucket.exists(item.resultPath ?? "")).toBe(true);
    } finally {
      await s3.restart().catch(() => {});
    }
  });
});
