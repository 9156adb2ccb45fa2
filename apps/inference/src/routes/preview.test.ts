import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { previewResponseSchema } from "@studio/contracts/inference/preview";
import { decodeImage } from "@studio/core/image";
import { parameterSignature } from "@studio/core/signature";
import { buildTinySrModel } from "@studio/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SeededWeight } from "../test-fixtures";
import {
  seedCatImage,
  seedImage,
  seedSegmentationWeight,
  seedTask,
  seedTeam,
  seedTinySrWeight,
  seedWeight,
} from "../test-fixtures";
import { calibratedSlowModel } from "../test-models";
import { isRunning } from "../test-process";
import { previewsRunning, serviceMetric, startTestService, type TestService } from "../testing";

let service: TestService;
let team: { userId: string; teamId: string };
let sr: SeededWeight;
let slow: SeededWeight;
let seg: SeededWeight;
let cat: string;

beforeAll(async () => {
  service = await startTestService({
    PREVIEW_MAX_CONCURRENT: "1",
    PREVIEW_MAX_SIDE: "256",
    PREVIEW_TIMEOUT_MS: "30000",
    WORKER_POLL_MS: "50",
  });
  team = await seedTeam(service.db);
  // A run of about two seconds on the test image (an untiled preview runs the model on all of
  // it), sized from this machine's speed measured now with the preview processes' thread
  // count: long against an HTTP round trip whether the machine is twice as fast or as busy.
  const slowBytes = (
    await calibratedSlowModel({
      targetMs: 2000,
      width: 451,
      height: 300,
      threads: service.config.ORT_INTRA_OP_THREADS,
    })
  ).bytes;
  sr = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
  slow = await seedWeight(service.db, service.dataDir, {
    teamId: team.teamId,
    taskKind: "segmentation",
    bytes: slowBytes,
    spec: { kind: "segmentation", colorOrder: "gray", activation: "sigmoid" },
  });
  seg = await seedSegmentationWeight(service.db, service.dataDir, team.teamId);
  cat = await seedCatImage(service.db, service.dataDir, team);
});
afterAll(async () => {
  await service?.cleanup();
});

function preview(body: unknown, target: TestService = service) {
  return fetch(`${target.url}/v1/preview`, {
    method: "POST",
    headers: { authorization: `Bearer ${target.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** A preview of the `[x, y, width, height]` crop of an image (the cat photo unless named). */
function previewCrop(
  weightId: string,
  [x, y, width, height]: [number, number, number, number],
  options: { params?: Record<string, unknown>; imageId?: string } = {},
) {
  const { params = {}, imageId = cat } = options;
  return preview({ weightId, imageId, crop: { x, y, width, height }, params });
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

    // A slider moved: the same crop with other tuning is answered from the preview process's
    // model output cache, without running the model.
    const hits = await serviceMetric(
      service,
      'inference_preview_model_output_cache_total{result="hit"}',
    );
    const tuned = { tile: 64, tuning: { preset: "text", overrides: { sharpen: 2 } } };
    const again = await preview({ weightId: sr.weightId, imageId: cat, crop, params: tuned });
    expect(again.status).toBe(200);
    const tunedBody = previewResponseSchema.parse(await again.json());
    expect(tunedBody.timings.runMs).toBe(0);
    expect(
      await serviceMetric(service, 'inference_preview_model_output_cache_total{result="hit"}'),
    ).toBe(hits + 1);
    expect(tunedBody.pngBase64).not.toBe(body.pngBase64);

    await service.worker.start();
    for (const [p, answer] of [
      [params, body],
      [tuned, tunedBody],
    ] as const) {
      const taskId = await seedTask(service.db, {
        ...team,
        weight: sr,
        params: p,
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
      expect(item.paramSignature).toBe(answer.paramSignature);
      const full = await decodeImage(
        readFileSync(path.join(service.dataDir, item.resultPath ?? "")),
      );
      const part = await decodeImage(Buffer.from(answer.pngBase64, "base64"));
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
    }
  });

  it("returns a mask and a probability map for segmentation", async () => {
    const res = await previewCrop(seg.weightId, [0, 0, 64, 48]);
    expect(res.status).toBe(200);
    const body = previewResponseSchema.parse(await res.json());
    expect(body).toMatchObject({ taskKind: "segmentation", width: 64, height: 48 });
    expect(body.probabilityPngBase64).toBeTruthy();
  });

  it("answers 429 with Retry-After at once when the preview limit is reached", async () => {
    let firstDone = false;
    const first = previewCrop(slow.weightId, [0, 0, 128, 128]).finally(() => {
      firstDone = true;
    });
    // Wait until the service reports the first preview as running.
    while ((await previewsRunning(service)) !== 1) await new Promise((r) => setTimeout(r, 20));
    const second = await previewCrop(sr.weightId, [0, 0, 32, 32]);
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(await second.json()).toMatchObject({ error: { code: "too_many_requests" } });
    // "At once": answered while the first was still computing, not after waiting for it.
    expect(firstDone).toBe(false);
    expect((await first).status).toBe(200);
    const health = await fetch(`${service.url}/health`);
    expect(health.status).toBe(200);
  });

  it("refuses a crop beyond the size bound, outside the image, or of an unknown image", async () => {
    const big = await previewCrop(sr.weightId, [0, 0, 300, 10]);
    expect(big.status).toBe(400);
    const outside = await previewCrop(sr.weightId, [400, 0, 100, 10]);
    expect(outside.status).toBe(400);
    const missing = await previewCrop(sr.weightId, [0, 0, 10, 10], { imageId: "nope" });
    expect(missing.status).toBe(404);
    const badParams = await previewCrop(sr.weightId, [0, 0, 10, 10], { params: { tile: -3 } });
    expect(badParams.status).toBe(400);
  });

  it("keeps /health answering while a long model run computes a preview", async () => {
    let finishedAt = 0;
    // One tile: a single uninterrupted onnxruntime run.
    const oneRun = { params: { tile: "off" } };
    const slowPreview = previewCrop(slow.weightId, [0, 0, 128, 128], oneRun).then(async (res) => {
      finishedAt = Date.now();
      return { status: res.status, body: previewResponseSchema.parse(await res.json()) };
    });
    const answers: Array<{ at: number; ms: number }> = [];
    while (!finishedAt) {
      const t0 = Date.now();
      const health = await fetch(`${service.url}/health`);
      expect(health.status).toBe(200);
      answers.push({ at: Date.now(), ms: Date.now() - t0 });
      await new Promise((r) => setTimeout(r, 50));
    }
    const { status, body } = await slowPreview;
    expect(status).toBe(200);
    const during = answers.filter((a) => a.at < finishedAt);
    expect(during.length).toBeGreaterThanOrEqual(5);
    // A blocked event loop would hold the probe sent during the run until the run ended, i.e.
    // for nearly all of it; probes answered by a free loop take a tiny part of it.
    expect(Math.max(...during.map((a) => a.ms))).toBeLessThan((body.timings.runMs ?? 0) / 2);
  });

  it("stops at the next tile when the client goes away, keeping the process and its sessions", async () => {
    const body = {
      weightId: slow.weightId,
      imageId: cat,
      crop: { x: 0, y: 0, width: 128, height: 128 },
      params: { tile: 32 },
    };
    const full = Date.now();
    expect((await preview(body)).status).toBe(200);
    const fullMs = Date.now() - full;
    const pids = service.previewPool.pids;
    const client = new AbortController();
    const call = fetch(`${service.url}/v1/preview`, {
      method: "POST",
      headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: client.signal,
    }).catch(() => undefined);
    while ((await previewsRunning(service)) === 0) await new Promise((r) => setTimeout(r, 20));
    client.abort();
    const aborted = Date.now();
    await call;
    while ((await previewsRunning(service)) > 0) await new Promise((r) => setTimeout(r, 20));
    expect(Date.now() - aborted).toBeLessThan(fullMs / 2);
    expect(service.previewPool.pids).toEqual(pids);
    expect(await serviceMetric(service, 'inference_previews_total{outcome="canceled"}')).toBe(1);
  });

  it("keeps a weight's session loaded between previews", async () => {
    const call = () => previewCrop(sr.weightId, [10, 10, 40, 40], { params: { tile: 64 } });
    expect((await call()).status).toBe(200);
    const hit = 'inference_session_cache_total{result="hit"}';
    const miss = 'inference_session_cache_total{result="miss"}';
    const [hits, misses] = [await serviceMetric(service, hit), await serviceMetric(service, miss)];
    const again = await call();
    expect(again.status).toBe(200);
    expect(await serviceMetric(service, hit)).toBe(hits + 1);
    expect(await serviceMetric(service, miss)).toBe(misses);
  });

  it("answers pipeline errors from the preview process as before: bad image, unusable weight", async () => {
    const broken = await seedImage(service.db, service.dataDir, {
      ...team,
      bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]),
      width: 64,
      height: 64,
    });
    const badImage = await previewCrop(sr.weightId, [0, 0, 16, 16], { imageId: broken });
    expect(badImage.status).toBe(422);
    const imageError = (await badImage.json()) as {
      error: { code: string; details: { code: string } };
    };
    expect(imageError.error.code).toBe("unprocessable");
    expect(imageError.error.details.code).toMatch(/corrupt|unsupported_format/);

    const gone = await seedWeight(service.db, service.dataDir, {
      teamId: team.teamId,
      taskKind: "super_resolution",
      bytes: buildTinySrModel({ scale: 2, hidden: 5 }).bytes,
      spec: { kind: "super_resolution", scale: 2 },
    });
    rmSync(path.join(service.dataDir, "weights", `${gone.sha256}.onnx`));
    const missing = await previewCrop(gone.weightId, [0, 0, 16, 16]);
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({
      error: {
        code: "unprocessable",
        message: `weight file for sha256 ${gone.sha256} is missing`,
      },
    });

    // The preview process survives errors: the next preview is answered by the same one.
    const pids = service.previewPool.pids;
    const ok = await previewCrop(sr.weightId, [0, 0, 16, 16]);
    expect(ok.status).toBe(200);
    expect(service.previewPool.pids).toEqual(pids);
  });
});

/**
 * How long the first preview of a fresh service takes here (starting its preview process, loading
 * a model, one small run): a deadline shorter than that would cut the warm-up, not the model.
 */
async function measureColdPreviewMs(): Promise<number> {
  const probe = await startTestService({ PREVIEW_MAX_CONCURRENT: "1" });
  try {
    const t = await seedTeam(probe.db);
    const weight = await seedTinySrWeight(probe.db, probe.dataDir, t.teamId);
    const imageId = await seedCatImage(probe.db, probe.dataDir, t);
    const started = performance.now();
    const cold = await preview(
      {
        weightId: weight.weightId,
        imageId,
        crop: { x: 0, y: 0, width: 32, height: 32 },
        params: {},
      },
      probe,
    );
    expect(cold.status).toBe(200);
    return performance.now() - started;
  } finally {
    await probe.cleanup();
  }
}

describe("POST /v1/preview time limit", { timeout: 600_000 }, () => {
  let limited: TestService;
  /** 3 s, or three cold previews where a busy machine takes longer than 1 s for one. */
  let limitMs: number;
  beforeAll(async () => {
    limitMs = Math.max(3000, Math.ceil(3 * (await measureColdPreviewMs())));
    limited = await startTestService({
      PREVIEW_TIMEOUT_MS: String(limitMs),
      PREVIEW_MAX_CONCURRENT: "1",
    });
  }, 300_000);
  afterAll(async () => {
    await limited?.cleanup();
  });

  it("answers 504 at the deadline even inside one model run, kills that run, and the next preview works", async () => {
    const t = await seedTeam(limited.db);
    const fast = await seedTinySrWeight(limited.db, limited.dataDir, t.teamId);
    // Far slower than the limit on this machine, measured now: one untiled run takes ten times
    // the limit.
    const runawayMs = 10 * limited.config.PREVIEW_TIMEOUT_MS;
    const runaway = await seedWeight(limited.db, limited.dataDir, {
      teamId: t.teamId,
      taskKind: "segmentation",
      bytes: (
        await calibratedSlowModel({
          targetMs: runawayMs,
          width: 451,
          height: 300,
          threads: limited.config.ORT_INTRA_OP_THREADS,
        })
      ).bytes,
      spec: { kind: "segmentation", colorOrder: "gray", activation: "sigmoid" },
    });
    const img = await seedCatImage(limited.db, limited.dataDir, t);
    const small = {
      weightId: fast.weightId,
      imageId: img,
      crop: { x: 0, y: 0, width: 32, height: 32 },
      params: {},
    };
    // Starts the preview process, so the deadline below is spent inside the model.
    const warm = await preview(small, limited);
    expect(warm.status).toBe(200);
    const first = previewResponseSchema.parse(await warm.json());
    const [pid] = limited.previewPool.pids;
    expect(pid).toBeDefined();

    const started = Date.now();
    const res = await preview(
      {
        weightId: runaway.weightId,
        imageId: img,
        crop: { x: 0, y: 0, width: 200, height: 200 },
        params: { tile: "off" },
      },
      limited,
    );
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({
      error: { code: "timeout", message: `preview did not finish within ${limitMs} ms` },
    });
    // Answered long before the run could have ended by itself: it was stopped inside it.
    expect(Date.now() - started).toBeLessThan((limitMs + runawayMs) / 2);
    // The run was stopped with its process, and the slot is free again at once.
    expect(isRunning(pid as number)).toBe(false);
    expect(await previewsRunning(limited)).toBe(0);

    const next = await preview(small, limited);
    expect(next.status).toBe(200);
    expect(previewResponseSchema.parse(await next.json()).pngBase64).toBe(first.pngBase64);
    expect(limited.previewPool.pids).not.toContain(pid);
  });

  it("closing the service stops its preview processes", async () => {
    const pids = limited.previewPool.pids;
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every(isRunning)).toBe(true);
    await limited.app.close();
    expect(pids.some(isRunning)).toBe(false);
    expect(limited.previewPool.pids).toEqual([]);
  });
});
