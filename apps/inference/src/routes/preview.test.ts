import { readFileSync } from "node:fs";
import path from "node:path";
import { decodeImage } from "@studio/core/image";
import { buildSegmentationModel, buildTinySrModel } from "@studio/core/onnx";
import { parameterSignature } from "@studio/core/signature";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { previewResponseSchema } from "../protocol";
import { seedImage, seedTask, seedTeam, seedWeight } from "../test-fixtures";
import { slowModel } from "../test-models";
import { startTestService, type TestService } from "../testing";

let service: TestService;
let team: { userId: string; teamId: string };
let sr: { weightId: string; sha256: string };
let slow: { weightId: string; sha256: string };
let seg: { weightId: string; sha256: string };
let cat: string;

beforeAll(async () => {
  service = await startTestService({
    PREVIEW_MAX_CONCURRENT: "1",
    PREVIEW_MAX_SIDE: "256",
    PREVIEW_TIMEOUT_MS: "30000",
    WORKER_POLL_MS: "50",
  });
  team = await seedTeam(service.db);
  const model = buildTinySrModel({ scale: 2 });
  sr = await seedWeight(service.db, service.dataDir, {
    teamId: team.teamId,
    taskKind: "super_resolution",
    bytes: model.bytes,
    spec: { kind: "super_resolution", scale: 2, receptiveField: model.receptiveField },
  });
  slow = await seedWeight(service.db, service.dataDir, {
    teamId: team.teamId,
    taskKind: "segmentation",
    bytes: slowModel(4, 128),
    spec: { kind: "segmentation", colorOrder: "gray", activation: "sigmoid" },
  });
  seg = await seedWeight(service.db, service.dataDir, {
    teamId: team.teamId,
    taskKind: "segmentation",
    bytes: buildSegmentationModel({ size: "dynamic", sigmoid: false }).bytes,
    spec: {
      kind: "segmentation",
      colorOrder: "gray",
      size: { mode: "dynamic", multipleOf: 2 },
      activation: "sigmoid",
    },
  });
  cat = await seedImage(service.db, service.dataDir, {
    ...team,
    fixture: "chelsea.png",
    width: 451,
    height: 300,
  });
});
afterAll(async () => {
  await service?.cleanup();
});

function preview(body: unknown) {
  return fetch(`${service.url}/v1/preview`, {
    method: "POST",
    headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("POST /v1/preview", { timeout: 120_000 }, () => {
  it("upscales a crop exactly as the full task computes that region, with the same signature", async () => {
    const params = { tile: 64, tuning: { preset: "raw" } };
    const crop = { x: 100, y: 60, width: 90, height: 70 };
    const res = await preview({ weightId: sr.weightId, imageId: cat, crop, params });
    expect(res.status).toBe(200);
    const body = previewResponseSchema.parse(await res.json());
    expect(body).toMatchObject({
      taskKind: "super_resolution",
      width: 180,
      height: 140,
      device: "cpu",
      weightSha256: sr.sha256,
    });
    expect(body.paramSignature).toBe(
      parameterSignature({ kind: "super_resolution", params, weightSha256: sr.sha256 }),
    );
    expect(body.timings.runMs).toBeGreaterThan(0);

    await service.worker.start();
    const taskId = await seedTask(service.db, {
      ...team,
      weightId: sr.weightId,
      weightSha256: sr.sha256,
      taskKind: "super_resolution",
      params,
      imageIds: [cat],
    });
    for (let i = 0; i < 300; i++) {
      const t = await service.db.task.findUniqueOrThrow({
        where: { id: taskId },
        select: { status: true },
      });
      if (t.status === "succeeded") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const item = await service.db.taskItem.findFirstOrThrow({
      where: { taskId },
      select: { resultPath: true, paramSignature: true },
    });
    expect(item.paramSignature).toBe(body.paramSignature);
    const full = await decodeImage(readFileSync(path.join(service.dataDir, item.resultPath ?? "")));
    const part = await decodeImage(Buffer.from(body.pngBase64, "base64"));
    expect(part.channels).toBe(full.channels);
    const c = full.channels;
    let differing = 0;
    for (let y = 0; y < part.height; y++) {
      for (let x = 0; x < part.width * c; x++) {
        const a = part.data[y * part.width * c + x];
        const b = full.data[((crop.y * 2 + y) * full.width + crop.x * 2) * c + x];
        if (a !== b) differing++;
      }
    }
    expect(differing).toBe(0);
  });

  it("returns a mask and a probability map for segmentation", async () => {
    const res = await preview({
      weightId: seg.weightId,
      imageId: cat,
      crop: { x: 0, y: 0, width: 64, height: 48 },
      params: {},
    });
    expect(res.status).toBe(200);
    const body = previewResponseSchema.parse(await res.json());
    expect(body).toMatchObject({ taskKind: "segmentation", width: 64, height: 48 });
    expect(body.probabilityPngBase64).toBeTruthy();
  });

  it("answers 429 with Retry-After at once when the preview limit is reached", async () => {
    const first = preview({
      weightId: slow.weightId,
      imageId: cat,
      crop: { x: 0, y: 0, width: 128, height: 128 },
      params: {},
    });
    // Wait until the service reports the first preview as running.
    for (let i = 0; i < 100; i++) {
      const sys = await fetch(`${service.url}/v1/system`, {
        headers: { authorization: `Bearer ${service.token}` },
      });
      if (((await sys.json()) as { preview: { running: number } }).preview.running === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const started = Date.now();
    const second = await preview({
      weightId: sr.weightId,
      imageId: cat,
      crop: { x: 0, y: 0, width: 32, height: 32 },
      params: {},
    });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(await second.json()).toMatchObject({ error: { code: "too_many_requests" } });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect((await first).status).toBe(200);
    const health = await fetch(`${service.url}/health`);
    expect(health.status).toBe(200);
  });

  it("refuses a crop beyond the size bound, outside the image, or of an unknown image", async () => {
    const big = await preview({
      weightId: sr.weightId,
      imageId: cat,
      crop: { x: 0, y: 0, width: 300, height: 10 },
      params: {},
    });
    expect(big.status).toBe(400);
    const outside = await preview({
      weightId: sr.weightId,
      imageId: cat,
      crop: { x: 400, y: 0, width: 100, height: 10 },
      params: {},
    });
    expect(outside.status).toBe(400);
    const missing = await preview({
      weightId: sr.weightId,
      imageId: "nope",
      crop: { x: 0, y: 0, width: 10, height: 10 },
      params: {},
    });
    expect(missing.status).toBe(404);
    const badParams = await preview({
      weightId: sr.weightId,
      imageId: cat,
      crop: { x: 0, y: 0, width: 10, height: 10 },
      params: { tile: -3 },
    });
    expect(badParams.status).toBe(400);
  });
});

describe("POST /v1/preview time limit", () => {
  let limited: TestService;
  beforeAll(async () => {
    limited = await startTestService({ PREVIEW_TIMEOUT_MS: "1000", PREVIEW_MAX_CONCURRENT: "1" });
  });
  afterAll(async () => {
    await limited?.cleanup();
  });

  it("answers 504 once the deadline passes (checked between tiles) and then frees the slot", async () => {
    const t = await seedTeam(limited.db);
    const spec = { kind: "segmentation", colorOrder: "gray", activation: "sigmoid" } as const;
    const w = await seedWeight(limited.db, limited.dataDir, {
      teamId: t.teamId,
      taskKind: "segmentation",
      bytes: slowModel(6, 128),
      spec,
    });
    await limited.models.get(w.sha256, spec);
    const img = await seedImage(limited.db, limited.dataDir, {
      ...t,
      fixture: "chelsea.png",
      width: 451,
      height: 300,
    });
    const call = (tile: number) =>
      fetch(`${limited.url}/v1/preview`, {
        method: "POST",
        headers: { authorization: `Bearer ${limited.token}`, "content-type": "application/json" },
        body: JSON.stringify({
          weightId: w.weightId,
          imageId: img,
          crop: { x: 0, y: 0, width: 200, height: 200 },
          params: { tile },
        }),
      });
    const started = Date.now();
    const res = await call(32);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: "timeout" } });
    // onnxruntime runs a tile synchronously, so the deadline is noticed after the tile in
    // flight: one second plus at most one 32 px tile.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(await limited.previewsIdle(30_000)).toBe(true);
    const sys = await fetch(`${limited.url}/v1/system`, {
      headers: { authorization: `Bearer ${limited.token}` },
    });
    expect(((await sys.json()) as { preview: { running: number } }).preview.running).toBe(0);
  });
});
