import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCleanup, startCleanup } from "./cleanup";
import { seedGrayImage, seedTask, seedTeam, seedWeight } from "./test-fixtures";
import { startTestService, type TestService } from "./testing";

let service: TestService;
const DAY = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.cleanup();
});

function file(rel: string, ageMs: number, bytes = 100): string {
  const full = path.join(service.dataDir, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, Buffer.alloc(bytes, 1));
  const when = new Date(Date.now() - ageMs);
  utimesSync(full, when, when);
  return full;
}

describe("cleanup job", () => {
  it("removes only expired, unreferenced temporary files, staged and stray uploads, stray results and unused renditions", async () => {
    const { db, dataDir } = service;
    const team = await seedTeam(db);
    const imageId = await seedGrayImage(db, dataDir, team);
    const image = await db.image.findUniqueOrThrow({
      where: { id: imageId },
      select: { storagePath: true },
    });
    const weight = await seedWeight(db, dataDir, {
      teamId: team.teamId,
      taskKind: "classification",
      bytes: new Uint8Array([1, 2, 3]),
      spec: { kind: "classification" },
    });
    const taskId = await seedTask(db, {
      ...team,
      weight,
      imageIds: [imageId],
    });
    const item = await db.taskItem.findFirstOrThrow({ where: { taskId }, select: { id: true } });
    await db.taskItem.update({
      where: { id: item.id },
      data: {
        status: "succeeded",
        resultPath: `results/${taskId}/0000-a1.png`,
        resultMeta: JSON.stringify({
          probabilityPath: `results/${taskId}/0000-a1.probability.png`,
        }),
      },
    });
    const old = 2 * DAY;
    const fresh = 60 * 1000;
    const expired = [
      file("tmp/preview-old.png", old, 1000),
      file("tmp/nested/result-crashed.png", old, 500),
      file("uploads/.partial/abc.bin", old, 300),
      file("uploads/big-upload.part", old, 200),
      // An upload whose row was never made (the web app stopped between object and row).
      file("uploads/unrelated.png", old, 100),
      // Staged for a check or a conversion and never removed (the web app crashed meanwhile).
      file("incoming/abandoned.part", old, 400),
      file(`results/${taskId}/0000-a0.png`, old, 50),
      file("results/deleted-task/0000-a1.png", old, 25),
      // Renditions are a cache: unused for the max age, they go even while their image stays.
      file(`renditions/${team.teamId}/${imageId}-thumb.webp`, old, 7),
      file(`renditions/${team.teamId}/results/gone-task/item-display.webp`, old, 3),
    ];
    const kept = [
      file("tmp/preview-fresh.png", fresh),
      file(image.storagePath, old),
      file("incoming/in-use.part", fresh),
      file(`results/${taskId}/0000-a1.png`, old),
      file(`results/${taskId}/0000-a1.probability.png`, old),
      file(`weights/${weight.sha256}.onnx`, old),
      file("weights/unknown.onnx", old),
      file("logs/inference.1.log", old),
      file(`renditions/${team.teamId}/${imageId}-display.webp`, fresh),
    ];
    const report = await runCleanup({ files: service.files, db, maxAgeMs: DAY });
    for (const f of expired) expect(existsSync(f), f).toBe(false);
    for (const f of kept) expect(existsSync(f), f).toBe(true);
    expect(report.deletedFiles).toBe(10);
    expect(report.freedBytes).toBe(1000 + 500 + 300 + 200 + 100 + 400 + 50 + 25 + 7 + 3);
    expect(report.byArea).toEqual({
      tmp: { files: 2, bytes: 1500 },
      incoming: { files: 1, bytes: 400 },
      uploads: { files: 3, bytes: 600 },
      results: { files: 2, bytes: 75 },
      renditions: { files: 2, bytes: 10 },
    });
    expect(report.keptReferenced).toBeGreaterThanOrEqual(2);
    expect(existsSync(path.join(dataDir, "tmp"))).toBe(true);
  });

  it("runs on its timer and logs what it freed", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: "info" },
      { write: (s: string) => void lines.push(JSON.parse(s)) },
    );
    file("tmp/timer-old.bin", 2 * DAY, 42);
    const job = startCleanup({
      files: service.files,
      db: service.db,
      maxAgeMs: DAY,
      intervalMs: 200,
      logger,
    });
    try {
      // However long a busy machine takes to get there: the test's own time-out bounds it.
      while (!lines.some((l) => l.msg === "cleanup freed files")) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await job.stop();
    }
    const line = lines.find((l) => l.msg === "cleanup freed files");
    expect(line).toMatchObject({ component: "cleanup", deletedFiles: 1, freedBytes: 42 });
  });
});
