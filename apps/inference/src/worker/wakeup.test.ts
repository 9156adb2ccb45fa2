// An idle worker starts a queued task when it is queued, not at its next poll. The poll interval
// here is an hour: a task that runs at all was started by a wake-up (SQLite: data_version).

import { buildClassifierModel } from "@studio/core/testing";
import { subscribeToQueuedTasks } from "@studio/db/queue";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedGrayImage, seedTask, seedTeam, seedWeight } from "../test-fixtures";
import { startTestService, type TestService } from "../testing";
import { TaskWorker } from "./worker";

const HOUR_MS = 3_600_000;
let service: TestService;

beforeAll(async () => {
  // The service's own worker is never started: the only worker is the test's.
  service = await startTestService({ WORKER_POLL_MS: String(HOUR_MS), WORKER_CONCURRENCY: "1" });
});
afterAll(async () => {
  await service?.cleanup();
});

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}

describe("worker wake-up", { timeout: 60_000 }, () => {
  it("an idle worker claims a task queued by another connection long before its poll", async () => {
    const team = await seedTeam(service.db);
    const weight = await seedWeight(service.db, service.dataDir, {
      teamId: team.teamId,
      taskKind: "classification",
      bytes: buildClassifierModel({ classes: 2, size: 16 }).bytes,
      spec: { kind: "classification", size: { mode: "fixed", width: 16, height: 16 } },
    });
    const image = await seedGrayImage(service.db, service.dataDir, team);
    const wakeups = subscribeToQueuedTasks(service.databaseUrl);
    const worker = new TaskWorker({
      db: service.db,
      logger: pino({ level: "silent" }),
      config: service.config,
      models: service.models,
      files: service.files,
      wakeups,
    });
    expect(service.config.WORKER_POLL_MS).toBe(HOUR_MS);
    await worker.start();
    try {
      // Idle: its first claim found nothing and it waits for work (or for the hour to pass).
      await until(() => wakeups.waiting === 1);
      const taskId = await seedTask(service.db, {
        ...team,
        weight,
        imageIds: [image],
      });
      await until(async () => {
        const t = await service.db.task.findUniqueOrThrow({
          where: { id: taskId },
          select: { status: true },
        });
        return t.status === "succeeded";
      });
      // Back to waiting, for the next one.
      await until(() => wakeups.waiting === 1);
    } finally {
      await worker.stop(0);
      await wakeups.close();
    }
  });
});
