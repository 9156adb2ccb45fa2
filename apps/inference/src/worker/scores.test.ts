// Quality scores end to end in the worker: real onnxruntime sessions, a real SQLite store, the
// local blob store. Each test recomputes the scores from the files the task stored (result,
// probability map, reference) with plain loops written here, and compares with what the worker
// stored per image (TaskItem.resultMeta.scores) and per task (Task.scores).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { decodeImage, encodePng, type RawImage } from "@studio/core/image";
import { clDice, imageQuality, taskScoresSchema } from "@studio/core/metrics";
import { type PreparedModel, runSuperResolution } from "@studio/core/pipeline";
import { resizeBicubic } from "@studio/core/references";
import { parameterSignature } from "@studio/core/signature";
import type { SuperResolutionSpec } from "@studio/core/spec";
import { buildClassifierModel } from "@studio/core/testing";
import { createTask } from "@studio/db/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FIXTURES_DIR,
  type SeededWeight,
  seedCatImage,
  seedGrayImage,
  seedImage,
  seedSegmentationWeight,
  seedTinySrWeight,
  seedWeight,
} from "../test-fixtures";
import type { TestService } from "../testing";
import { startWorkerTestService } from "./test-worker-service";

let service: TestService;
let team: { userId: string; teamId: string };

beforeAll(async () => {
  ({ service, team } = await startWorkerTestService());
});
afterAll(async () => {
  await service?.cleanup();
});

/** A dataset of these images, each with its label and/or reference file (written to the store). */
async function seedDataset(
  images: Array<{
    imageId: string;
    label?: string;
    reference?: { png: Buffer; kind: "mask" | "high_resolution" };
    /** COCO segmentations (polygons) as the archive import stores them. */
    coco?: number[][][];
  }>,
): Promise<string> {
  const dataset = await service.db.dataset.create({
    data: { teamId: team.teamId, createdById: team.userId, name: "refs", layout: "classification" },
    select: { id: true },
  });
  mkdirSync(path.join(service.dataDir, "uploads"), { recursive: true });
  for (const [i, image] of images.entries()) {
    let referencePath: string | null = null;
    if (image.reference) {
      referencePath = `uploads/ref-${dataset.id}-${i}.png`;
      writeFileSync(path.join(service.dataDir, referencePath), image.reference.png);
    }
    await service.db.datasetImage.create({
      data: {
        datasetId: dataset.id,
        imageId: image.imageId,
        relativePath: `${image.label ?? "images"}/${i}.png`,
        label: image.label ?? null,
        referencePath,
        referenceKind: image.reference?.kind ?? (image.coco ? "coco" : null),
        annotations: image.coco ? JSON.stringify({ boxes: [], segmentations: image.coco }) : null,
      },
    });
  }
  return dataset.id;
}

async function runTask(
  weight: SeededWeight,
  datasetId: string,
  imageIds: string[],
  params: Record<string, unknown> = {},
) {
  const { id } = await createTask(service.db, {
    teamId: team.teamId,
    createdById: team.userId,
    weightId: weight.weightId,
    weightSha256: weight.sha256,
    taskKind: weight.taskKind,
    datasetId,
    params,
    paramSignature: parameterSignature({
      kind: weight.taskKind,
      params,
      weightSha256: weight.sha256,
    }),
    imageIds,
  });
  const end = Date.now() + 120_000;
  for (;;) {
    const task = await service.db.task.findUniqueOrThrow({
      where: { id },
      select: { status: true },
    });
    if (["succeeded", "partially_failed", "failed", "canceled"].includes(task.status)) {
      expect(task.status).toBe("succeeded");
      // Task.scores is written just after the status, before the worker lets the task go.
      if (service.worker.runningCount === 0) {
        const items = await service.db.taskItem.findMany({
          where: { taskId: id },
          orderBy: { position: "asc" },
          select: { resultPath: true, resultMeta: true },
        });
        const { scores } = await service.db.task.findUniqueOrThrow({
          where: { id },
          select: { scores: true },
        });
        return {
          scores: scores === null ? null : taskScoresSchema.parse(JSON.parse(scores)),
          items: items.map((i) => ({
            resultPath: i.resultPath as string,
            meta: JSON.parse(i.resultMeta ?? "{}"),
          })),
        };
      }
    }
    if (Date.now() > end) throw new Error(`task ${id} still ${task.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stored = (key: string) => readFileSync(path.join(service.dataDir, key));

/** The pixels of an uploaded image, read back from where the store put it. */
async function decodeStoredImage(imageId: string): Promise<RawImage> {
  const { storagePath } = await service.db.image.findUniqueOrThrow({
    where: { id: imageId },
    select: { storagePath: true },
  });
  return decodeImage(stored(storagePath));
}

/** The 451x300 RGB cat cut to 450x300 (even sides, so it halves exactly): the HR of the SR pairs. */
function catCut(cat: RawImage): RawImage {
  const hr: RawImage = {
    width: 450,
    height: 300,
    channels: 3,
    depth: 8,
    data: new Uint8Array(450 * 300 * 3),
  };
  for (let y = 0; y < 300; y++)
    hr.data.set(cat.data.subarray(y * 451 * 3, (y * 451 + 450) * 3), y * 450 * 3);
  return hr;
}

/** Counts by hand: pixel by pixel, foreground = non-zero. */
function counts(pred: ArrayLike<number>, ref: ArrayLike<number>) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] && ref[i]) tp++;
    else if (pred[i]) fp++;
    else if (ref[i]) fn++;
  }
  return { tp, fp, fn };
}

/** A 0/255 mask: pixels of the image brighter than `cut` (an invented but plausible truth). */
function maskOf(img: RawImage, cut: number): RawImage {
  const data = new Uint8Array(img.width * img.height);
  for (let i = 0; i < data.length; i++)
    data[i] = (img.data[i * img.channels] as number) > cut ? 255 : 0;
  return { width: img.width, height: img.height, channels: 1, depth: 8, data };
}

describe("quality scores computed by the worker", () => {
  it("scores a segmentation task against reference masks: Dice, IoU, precision, recall, sweep", async () => {
    const weight = await seedSegmentationWeight(service.db, service.dataDir, team.teamId);
    const a = await seedGrayImage(service.db, service.dataDir, team);
    const b = await seedGrayImage(service.db, service.dataDir, team);
    const gray = await decodeStoredImage(a);
    // Truths at the image's 70th and 90th brightness percentiles (a dark retinal crop).
    const sorted = Array.from(gray.data).sort((x, y) => x - y);
    const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))] as number;
    const refs = [maskOf(gray, at(0.7)), maskOf(gray, at(0.9))];
    const datasetId = await seedDataset([
      { imageId: a, reference: { png: await encodePng(refs[0] as RawImage), kind: "mask" } },
      { imageId: b, reference: { png: await encodePng(refs[1] as RawImage), kind: "mask" } },
    ]);
    const { scores, items } = await runTask(weight, datasetId, [a, b], { threshold: 0.5 });

    let pooled = { tp: 0, fp: 0, fn: 0 };
    const pixels = gray.width * gray.height;
    for (const [i, item] of items.entries()) {
      const mask = await decodeImage(stored(item.resultPath));
      const ref = refs[i] as RawImage;
      const c = counts(mask.data, ref.data);
      const s = item.meta.scores;
      expect(item.meta.scoresError).toBeUndefined();
      expect(s.counts).toEqual({ ...c, tn: pixels - c.tp - c.fp - c.fn });
      expect(s.dice).toBeCloseTo((2 * c.tp) / (2 * c.tp + c.fp + c.fn), 12);
      expect(s.iou).toBeCloseTo(c.tp / (c.tp + c.fp + c.fn), 12);
      expect(s.precision).toBeCloseTo(c.tp / (c.tp + c.fp), 12);
      expect(s.recall).toBeCloseTo(c.tp / (c.tp + c.fn), 12);
      // The sweep from the stored 16-bit probability map, at 0.3 and at the task's 0.5.
      const prob = await decodeImage(stored(item.meta.probabilityPath));
      expect(prob.depth).toBe(16);
      for (const t of [0.3, 0.5]) {
        const cut = t * 65535;
        const at = counts(
          Array.from(prob.data, (v) => (v >= cut ? 1 : 0)),
          ref.data,
        );
        const k = s.sweep.thresholds.indexOf(t);
        expect([s.sweep.tp[k], s.sweep.fp[k], s.sweep.fn[k]]).toEqual([at.tp, at.fp, at.fn]);
      }
      // clDice from the stored mask and reference (core's Zhang-Suen is checked against a
      // separate Python implementation in its own tests).
      expect(s.clDice).toBeCloseTo(clDice(mask.data, ref.data, mask.width, mask.height), 12);
      pooled = { tp: pooled.tp + c.tp, fp: pooled.fp + c.fp, fn: pooled.fn + c.fn };
    }
    expect(scores?.kind).toBe("segmentation");
    if (scores?.kind !== "segmentation") return;
    expect(scores.images).toBe(2);
    expect(scores.dice).toBeCloseTo((2 * pooled.tp) / (2 * pooled.tp + pooled.fp + pooled.fn), 12);
    expect(scores.iou).toBeCloseTo(pooled.tp / (pooled.tp + pooled.fp + pooled.fn), 12);
    expect(scores.meanDice).toBeCloseTo(
      (items[0]?.meta.scores.dice + items[1]?.meta.scores.dice) / 2,
      12,
    );
    expect(scores.sweep.points).toHaveLength(101);
    const atTask = scores.sweep.points.find((p) => p.threshold === 0.5);
    expect(atTask?.dice).toBeCloseTo(scores.dice, 12);
    expect(scores.sweep.best.dice).toBe(Math.max(...scores.sweep.points.map((p) => p.dice)));
  });

  it("scores a segmentation task against COCO polygons", async () => {
    const weight = await seedSegmentationWeight(service.db, service.dataDir, team.teamId);
    const image = await seedGrayImage(service.db, service.dataDir, team);
    // Two rectangles: x 10..40 / y 20..50, and x 60..90 / y 5..25 (pixel edges): their pixels
    // are those whose centres are inside.
    const datasetId = await seedDataset([
      {
        imageId: image,
        coco: [[[10, 20, 40, 20, 40, 50, 10, 50]], [[60, 5, 90, 5, 90, 25, 60, 25]]],
      },
    ]);
    const { scores, items } = await runTask(weight, datasetId, [image]);
    const ref = new Uint8Array(102 * 102);
    for (let y = 0; y < 102; y++)
      for (let x = 0; x < 102; x++)
        if ((x >= 10 && x < 40 && y >= 20 && y < 50) || (x >= 60 && x < 90 && y >= 5 && y < 25))
          ref[y * 102 + x] = 1;
    const mask = await decodeImage(stored(items[0]?.resultPath as string));
    const c = counts(mask.data, ref);
    expect(items[0]?.meta.scoresError).toBeUndefined();
    expect(items[0]?.meta.scores.counts).toEqual({ ...c, tn: 102 * 102 - c.tp - c.fp - c.fn });
    expect(c.tp + c.fn).toBe(30 * 30 + 30 * 20);
    expect(scores).toMatchObject({ kind: "segmentation", images: 1 });
  });

  it("scores super-resolution by shrinking the input: PSNR/SSIM on Y against bicubic", async () => {
    const weight = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
    const cat = await seedCatImage(service.db, service.dataDir, team);
    const datasetId = await seedDataset([{ imageId: cat }]);
    const { scores, items } = await runTask(weight, datasetId, [cat], { compareDownscaled: true });
    const s = items[0]?.meta.scores;
    expect(items[0]?.meta.scoresError).toBeUndefined();
    expect(s).toMatchObject({
      kind: "super_resolution",
      reference: "downscaled",
      channel: "y",
      crop: 2,
      scale: 2,
      width: 450,
      height: 300,
    });

    // Independently: the cat cut to 450x300, shrunk to 225x150, upscaled by the model and by bicubic.
    const input = await decodeStoredImage(cat);
    const hr = catCut(input);
    const low = await resizeBicubic(hr, 225, 150);
    const { spec } = await service.db.weight.findUniqueOrThrow({
      where: { id: weight.weightId },
      select: { spec: true },
    });
    const model = (await service.models.get(
      weight.sha256,
      spec,
    )) as PreparedModel<SuperResolutionSpec>;
    const up = await runSuperResolution({ model, input: low, params: {} });
    const bicubic = await resizeBicubic(low, 450, 300);
    // PSNR by hand on Y (BT.601, 16..235) with 2 pixels cut from each border.
    const psnrY = (x: RawImage) => {
      let sum = 0;
      let n = 0;
      const y = (img: RawImage, i: number) =>
        16 +
        (65.481 * (img.data[i] as number) +
          128.553 * (img.data[i + 1] as number) +
          24.966 * (img.data[i + 2] as number)) /
          255;
      for (let r = 2; r < 298; r++)
        for (let c = 2; c < 448; c++) {
          const d = y(x, (r * 450 + c) * x.channels) - y(hr, (r * 450 + c) * 3);
          sum += d * d;
          n++;
        }
      return 10 * Math.log10((255 * 255) / (sum / n));
    };
    expect(s.model.psnr).toBeCloseTo(psnrY(up.image), 9);
    expect(s.bicubic.psnr).toBeCloseTo(psnrY(bicubic), 9);
    expect(s.model.ssim).toBeCloseTo(imageQuality(up.image, hr, 2).ssim, 12);
    expect(s.bicubic.ssim).toBeCloseTo(imageQuality(bicubic, hr, 2).ssim, 12);
    expect(s.bicubic.psnr).toBeGreaterThan(20);
    expect(scores).toMatchObject({
      kind: "super_resolution",
      images: 1,
      reference: "downscaled",
      model: { psnr: s.model.psnr, ssim: s.model.ssim },
      bicubic: { psnr: s.bicubic.psnr, ssim: s.bicubic.ssim },
    });
  });

  it("scores super-resolution against a dataset's high-resolution pair, from the stored result", async () => {
    const weight = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
    // The pair: the cat cut to 450x300 (HR) and its bicubic 225x150 (the dataset's image).
    const cat = await decodeImage(readFileSync(path.join(FIXTURES_DIR, "chelsea.png")));
    const hr = catCut(cat);
    const lr = await resizeBicubic(hr, 225, 150);
    const lrId = await seedImage(service.db, service.dataDir, {
      ...team,
      bytes: await encodePng(lr),
      width: 225,
      height: 150,
    });
    const datasetId = await seedDataset([
      { imageId: lrId, reference: { png: await encodePng(hr), kind: "high_resolution" } },
    ]);
    const { scores, items } = await runTask(weight, datasetId, [lrId]);
    const s = items[0]?.meta.scores;
    expect(items[0]?.meta.scoresError).toBeUndefined();
    expect(s).toMatchObject({
      kind: "super_resolution",
      reference: "pair",
      crop: 2,
      width: 450,
      height: 300,
    });
    const result = await decodeImage(stored(items[0]?.resultPath as string));
    const expected = imageQuality(result, hr, 2);
    expect(s.model.psnr).toBeCloseTo(expected.psnr, 9);
    expect(s.model.ssim).toBeCloseTo(expected.ssim, 12);
    const bicubic = imageQuality(await resizeBicubic(lr, 450, 300), hr, 2);
    expect(s.bicubic.psnr).toBeCloseTo(bicubic.psnr, 9);
    expect(scores).toMatchObject({ kind: "super_resolution", reference: "pair", images: 1 });
  });

  it("scores a classifier on a labelled folder dataset: accuracy and confusion matrix", async () => {
    const weight = await seedWeight(service.db, service.dataDir, {
      teamId: team.teamId,
      taskKind: "classification",
      bytes: buildClassifierModel({ classes: 3, size: 32 }).bytes,
      spec: {
        kind: "classification",
        size: { mode: "fixed", width: 32, height: 32 },
        labels: ["a", "b", "c"],
      },
    });
    const images = [
      await seedCatImage(service.db, service.dataDir, team),
      await seedGrayImage(service.db, service.dataDir, team),
      await seedCatImage(service.db, service.dataDir, team),
      await seedGrayImage(service.db, service.dataDir, team),
    ];
    const labels = ["a", "b", "c", "a"];
    const datasetId = await seedDataset(
      images.map((imageId, i) => ({ imageId, label: labels[i] as string })),
    );
    const { scores, items } = await runTask(weight, datasetId, images, { topK: 2 });
    // From the stored result files (the scores JSON of each image), by hand.
    const tops = items.map((item) =>
      (JSON.parse(stored(item.resultPath).toString("utf8")).top as Array<{ label: string }>).map(
        (t) => t.label,
      ),
    );
    const top1 = tops.filter((t, i) => t[0] === labels[i]).length / 4;
    const top2 = tops.filter((t, i) => t.slice(0, 2).includes(labels[i] as string)).length / 4;
    expect(scores).toMatchObject({ kind: "classification", images: 4, k: 2 });
    if (scores?.kind !== "classification") return;
    expect(scores.top1).toBeCloseTo(top1, 12);
    expect(scores.topK).toBeCloseTo(top2, 12);
    const { labels: names, counts: matrix } = scores.confusion;
    let total = 0;
    for (const [i, label] of labels.entries()) {
      const r = names.indexOf(label);
      const c = names.indexOf(tops[i]?.[0] as string);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(c).toBeGreaterThanOrEqual(0);
      total += 1;
    }
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(total);
    for (const [r, name] of names.entries()) {
      for (const [c, predicted] of names.entries()) {
        const expected = labels.filter((l, i) => l === name && tops[i]?.[0] === predicted).length;
        expect(matrix[r]?.[c]).toBe(expected);
      }
    }
  });

  it("stores no scores for a task without references", async () => {
    const weight = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
    const cat = await seedCatImage(service.db, service.dataDir, team);
    const datasetId = await seedDataset([{ imageId: cat }]);
    const { scores, items } = await runTask(weight, datasetId, [cat]);
    expect(scores).toBeNull();
    expect(items[0]?.meta.scores).toBeUndefined();
  });
});
