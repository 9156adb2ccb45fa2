import { createHash } from "node:crypto";
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import path from "node:path";
import { readProvenance } from "@studio/core/image";
import { PIPELINE_VERSION, parameterSignature } from "@studio/core/signature";
import { buildClassifierModel } from "@studio/core/testing";
import { FIXTURES_DIR } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SeededWeight,
  seedCatImage,
  seedGrayImage,
  seedImage,
  seedSegmentationWeight,
  seedTask,
  seedTinySrWeight,
  seedWeight,
} from "../test-fixtures";
import type { TestService } from "../testing";
import { SERVICE_VERSION } from "../version";
import { startWorkerTestService } from "./test-worker-service";

let service: TestService;
let team: { userId: string; teamId: string };

beforeAll(async () => {
  ({ service, team } = await startWorkerTestService({ WORKER_RETRY_BASE_MS: "100" }));
});
afterAll(async () => {
  await service?.cleanup();
});

/** A classifier with these labels on `size`-pixel squares (`seed` gives other weights). */
function seedClassifier(labels: string[], size: number, seed?: number) {
  return seedWeight(service.db, service.dataDir, {
    teamId: team.teamId,
    taskKind: "classification",
    bytes: buildClassifierModel({ classes: labels.length, size, ...(seed ? { seed } : {}) }).bytes,
    spec: { kind: "classification", size: { mode: "fixed", width: size, height: size }, labels },
  });
}

async function waitForFinal(taskId: string, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const task = await service.db.task.findUniqueOrThrow({
      where: { id: taskId },
      select: {
        status: true,
        attempts: true,
        error: true,
        itemsDone: true,
        itemsFailed: true,
        progress: true,
        device: true,
      },
    });
    if (["succeeded", "partially_failed", "failed", "canceled"].includes(task.status)) return task;
    if (Date.now() > end) throw new Error(`task ${taskId} still ${task.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("task worker (in process)", () => {
  it("runs a super-resolution batch; one corrupt image fails only its item", async () => {
    const weight = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
    const good1 = await seedGrayImage(service.db, service.dataDir, team);
    // A real PNG cut in half: the header is fine, the pixel data ends early.
    const whole = readFileSync(path.join(FIXTURES_DIR, "chelsea.png"));
    const corrupt = await seedImage(service.db, service.dataDir, {
      ...team,
      bytes: whole.subarray(0, Math.floor(whole.length / 2)),
      width: 451,
      height: 300,
    });
    const good2 = await seedCatImage(service.db, service.dataDir, team);
    const taskId = await seedTask(service.db, {
      ...team,
      weight,
      params: { tile: 128 },
      imageIds: [good1, corrupt, good2],
    });
    const task = await waitForFinal(taskId);
    expect(task).toMatchObject({
      status: "partially_failed",
      attempts: 1,
      itemsDone: 2,
      itemsFailed: 1,
      device: "cpu",
    });
    const items = await service.db.taskItem.findMany({
      where: { taskId },
      orderBy: { position: "asc" },
      select: {
        status: true,
        error: true,
        resultPath: true,
        resultSha256: true,
        resultBytes: true,
        paramSignature: true,
        timings: true,
        resultMeta: true,
      },
    });
    expect(items.map((i) => i.status)).toEqual(["succeeded", "failed", "succeeded"]);
    expect(items[1]?.error).toMatch(/corrupt|truncat|premature|end of/i);
    for (const item of [items[0], items[2]]) {
      const file = path.join(service.dataDir, item?.resultPath ?? "");
      expect(item?.resultPath).toMatch(new RegExp(`^results/${taskId}/\\d{4}-a1\\.png$`));
      expect(existsSync(file)).toBe(true);
      const bytes = readFileSync(file);
      expect(item?.resultBytes).toBe(bytes.byteLength);
      expect(item?.resultSha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(JSON.parse(item?.timings ?? "{}")).toHaveProperty("runMs");
    }
    expect(JSON.parse(items[2]?.resultMeta ?? "{}")).toMatchObject({
      width: 902,
      height: 600,
      scale: 2,
    });

    // Each result says what made it, read back by sharp (PNG iTXt), not by our own code.
    const cat = await service.db.image.findUniqueOrThrow({
      where: { id: good2 },
      select: { storagePath: true },
    });
    const input = readFileSync(path.join(service.dataDir, cat.storagePath));
    const result = readFileSync(path.join(service.dataDir, items[2]?.resultPath ?? ""));
    const weightRow = await service.db.weight.findUniqueOrThrow({
      where: { id: weight.weightId },
      select: { name: true, family: true, version: true },
    });
    expect(await readProvenance(result)).toMatchObject({
      product: { name: "Vision Studio", version: SERVICE_VERSION },
      pipeline: PIPELINE_VERSION,
      taskKind: "super_resolution",
      output: "result",
      weight: { ...weightRow, sha256: weight.sha256 },
      signature: items[2]?.paramSignature,
      params: { tile: 128 },
      tiling: { requested: 128, used: 128, tileCount: 12 },
      device: "cpu",
      input: { sha256: createHash("sha256").update(input).digest("hex") },
    });
  });

  it("runs a classification task and writes the scores", async () => {
    const weight = await seedClassifier(["a", "b", "c"], 32);
    const image = await seedCatImage(service.db, service.dataDir, team);
    const taskId = await seedTask(service.db, {
      ...team,
      weight,
      imageIds: [image],
    });
    expect(await waitForFinal(taskId)).toMatchObject({ status: "succeeded", itemsDone: 1 });
    const item = await service.db.taskItem.findFirstOrThrow({
      where: { taskId },
      select: { resultPath: true, resultMeta: true },
    });
    const report = JSON.parse(
      readFileSync(path.join(service.dataDir, item.resultPath ?? ""), "utf8"),
    );
    expect(report.scores).toHaveLength(3);
    expect(report.provenance).toMatchObject({
      taskKind: "classification",
      output: "scores",
      weight: { sha256: weight.sha256 },
      device: "cpu",
    });
    expect(JSON.parse(item.resultMeta ?? "{}").top[0].label).toMatch(/^[abc]$/);
  });

  it("runs a segmentation task; mask, probability map and overlay each say what they are", async () => {
    const weight = await seedSegmentationWeight(service.db, service.dataDir, team.teamId);
    const image = await seedGrayImage(service.db, service.dataDir, team);
    const taskId = await seedTask(service.db, { ...team, weight, imageIds: [image] });
    expect(await waitForFinal(taskId)).toMatchObject({ status: "succeeded", itemsDone: 1 });
    const item = await service.db.taskItem.findFirstOrThrow({
      where: { taskId },
      select: { resultPath: true, resultMeta: true, paramSignature: true },
    });
    const meta = JSON.parse(item.resultMeta ?? "{}");
    const files = {
      mask: item.resultPath,
      probability: meta.probabilityPath,
      overlay: meta.overlayPath,
    };
    for (const [output, key] of Object.entries(files)) {
      const file = readFileSync(path.join(service.dataDir, key ?? ""));
      expect(await readProvenance(file), output).toMatchObject({
        taskKind: "segmentation",
        output,
        weight: { sha256: weight.sha256 },
        signature: item.paramSignature,
        params: { threshold: 0.5, outputs: { mask: true, probability: true, overlay: true } },
      });
    }
  });

  it("fails a task whose weight file is missing without retrying", async () => {
    const weight = await service.db.weight.create({
      data: {
        teamId: team.teamId,
        taskKind: "classification",
        name: "gone",
        family: "t",
        version: "gone",
        sha256: "e".repeat(64),
        sizeBytes: 1,
        spec: JSON.stringify({ kind: "classification" }),
        status: "ready",
      },
      select: { id: true },
    });
    const image = await seedCatImage(service.db, service.dataDir, team);
    const taskId = await seedTask(service.db, {
      ...team,
      weight: { weightId: weight.id, sha256: "e".repeat(64), taskKind: "classification" },
      imageIds: [image],
    });
    const task = await waitForFinal(taskId);
    expect(task.status).toBe("failed");
    expect(task.attempts).toBe(1);
    expect(task.error).toMatch(/weight file for sha256 e+ is missing/);
    // The message is shown to users: no server paths in it.
    expect(task.error).not.toContain(service.dataDir);
    expect(task.error).not.toMatch(/\/weights|\/official/);
  });

  it("stores a generic error without server paths when the input image is missing", async () => {
    const weight = await seedClassifier(["a", "b"], 16);
    const image = await seedCatImage(service.db, service.dataDir, team);
    const row = await service.db.image.findUniqueOrThrow({
      where: { id: image },
      select: { storagePath: true },
    });
    unlinkSync(path.join(service.dataDir, row.storagePath));
    const taskId = await seedTask(service.db, {
      ...team,
      weight,
      imageIds: [image],
    });
    expect(await waitForFinal(taskId)).toMatchObject({ status: "failed", itemsFailed: 1 });
    const item = await service.db.taskItem.findFirstOrThrow({
      where: { taskId },
      select: { error: true },
    });
    expect(item.error).toBe("the input image is missing");
  });

  it("gives every claim its own lease owner, prefixed by the worker row id and slot", () => {
    const a = service.worker.leaseOwnerFor(0);
    const b = service.worker.leaseOwnerFor(0);
    const c = service.worker.leaseOwnerFor(1);
    expect(a.startsWith(`${service.worker.id}/0/`)).toBe(true);
    expect(c.startsWith(`${service.worker.id}/1/`)).toBe(true);
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it("runs a newer task of a weight it holds loaded before an older task of another weight", async () => {
    const held = await seedClassifier(["a", "b"], 16, 41);
    const other = await seedClassifier(["a", "b"], 16, 42);
    const image = await seedGrayImage(service.db, service.dataDir, team);
    // Running a task of `held` leaves its session loaded in the worker.
    const first = await seedTask(service.db, { ...team, weight: held, imageIds: [image] });
    expect(await waitForFinal(first)).toMatchObject({ status: "succeeded" });
    expect(service.models.cache.has(held.sha256)).toBe(true);
    expect(service.models.cache.has(other.sha256)).toBe(false);

    // Both queued in one transaction, so the polling worker never sees one without the other.
    const queued = (weight: SeededWeight, createdAt: Date) =>
      service.db.task.create({
        data: {
          teamId: team.teamId,
          createdById: team.userId,
          weightId: weight.weightId,
          weightSha256: weight.sha256,
          taskKind: weight.taskKind,
          params: "{}",
          paramSignature: parameterSignature({
            kind: weight.taskKind,
            params: {},
            weightSha256: weight.sha256,
          }),
          itemCount: 1,
          availableAt: createdAt,
          createdAt,
          items: { create: [{ imageId: image, position: 0 }] },
        },
        select: { id: true },
      });
    const now = Date.now();
    const [older, newer] = await service.db.$transaction([
      queued(other, new Date(now - 2000)),
      queued(held, new Date(now - 1000)),
    ]);
    for (const { id } of [older, newer]) {
      expect(await waitForFinal(id)).toMatchObject({ status: "succeeded" });
    }
    const times = (id: string) =>
      service.db.task.findUniqueOrThrow({
        where: { id },
        select: { startedAt: true, finishedAt: true },
      });
    const [o, n] = [await times(older.id), await times(newer.id)];
    // One slot: the held weight's task was claimed first and had finished when the older
    // one was claimed.
    expect(n.startedAt?.getTime()).toBeLessThan(o.startedAt?.getTime() ?? 0);
    expect(n.finishedAt?.getTime()).toBeLessThanOrEqual(o.startedAt?.getTime() ?? 0);
  });

  it("retries a task whose model cannot be loaded, with backoff, and stops at max attempts keeping the error", async () => {
    // Bytes whose checksum matches but that onnxruntime cannot load.
    const weight = await seedWeight(service.db, service.dataDir, {
      teamId: team.teamId,
      taskKind: "classification",
      bytes: new TextEncoder().encode("not a model at all"),
      spec: { kind: "classification" },
    });
    const image = await seedGrayImage(service.db, service.dataDir, team);
    const taskId = await seedTask(service.db, {
      ...team,
      weight,
      imageIds: [image],
      maxAttempts: 3,
    });
    const started = Date.now();
    const task = await waitForFinal(taskId);
    expect(task.status).toBe("failed");
    expect(task.attempts).toBe(3);
    expect(task.error).toBeTruthy();
    // Backoff 100 ms then 200 ms between the three attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const item = await service.db.taskItem.findFirstOrThrow({
      where: { taskId },
      select: { status: true, error: true },
    });
    expect(item.status).toBe("failed");
  });
});
