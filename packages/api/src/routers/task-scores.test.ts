// tasks.get and tasks.report return the quality scores the worker stored: the task's under
// `scores`, each image's in `resultMeta.scores` (without the sweep's counts).
import {
  aggregateScores,
  binaryCounts,
  binaryScores,
  type ItemScores,
  sweepCounts,
} from "@studio/core/metrics";
import {
  claimNextTask,
  completeItem,
  completeTask,
  listPendingItems,
  startItem,
} from "@studio/db/queue";
import { beforeAll, describe, expect, it } from "vitest";
import { callerFor } from "../test-caller";
import { makeImage, makeUser, makeWeight, type TestUser } from "../test-helpers";
import { useTestStore } from "../test-hooks";

const t = useTestStore();
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  alice = await makeUser(t.db);
  bob = await makeUser(t.db);
});

function record(prob: number[], ref: number[]): ItemScores {
  const mask = prob.map((v) => (v >= 127.5 ? 255 : 0));
  const counts = binaryCounts(mask, ref);
  return {
    kind: "segmentation",
    threshold: 0.5,
    counts,
    ...binaryScores(counts),
    clDice: 1,
    skeleton: {
      predictedSkeletonInReference: 1,
      predictedSkeleton: 1,
      referenceSkeletonInPrediction: 1,
      referenceSkeleton: 1,
    },
    sweep: sweepCounts(prob, 8, ref),
  };
}

describe("quality scores in tasks.get and tasks.report", () => {
  it("returns the task's and each image's scores, and null for a task without", async () => {
    const a = await callerFor(t.db, alice.id);
    const teamId = alice.personalTeamId;
    const weight = await makeWeight(t.db, { teamId });
    const images = [
      (await makeImage(t.db, teamId, alice.id, "s0.png")).id,
      (await makeImage(t.db, teamId, alice.id, "s1.png")).id,
    ];
    const { id: taskId } = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target: { type: "images", imageIds: images },
      params: {},
    });
    const before = await a.tasks.get({ teamId, taskId });
    expect(before.scores).toBeNull();

    const records = [record([200, 10, 255, 0], [1, 0, 1, 1]), record([0, 0, 0, 0], [0, 0, 0, 0])];
    const lease = { taskId, workerId: "w" };
    await claimNextTask(t.db, { workerId: "w", leaseMs: 60_000 });
    for (const [i, item] of (await listPendingItems(t.db, taskId)).entries()) {
      await startItem(t.db, { ...lease, itemId: item.id });
      await completeItem(t.db, {
        ...lease,
        itemId: item.id,
        result: {
          path: `results/${taskId}/${i}.png`,
          sha256: "a".repeat(64),
          bytes: 1,
          meta: { scores: records[i] },
          device: "cpu",
          timings: {},
          paramSignature: "s",
        },
      });
    }
    await completeTask(t.db, lease);
    const overall = aggregateScores(records);
    await t.db.task.update({ where: { id: taskId }, data: { scores: JSON.stringify(overall) } });

    const got = await a.tasks.get({ teamId, taskId });
    expect(got.scores).toEqual(overall);
    expect(got.scores).toMatchObject({ kind: "segmentation", dice: 4 / 5, images: 2 });
    const first = got.items[0]?.resultMeta?.scores;
    expect(first).toMatchObject({ kind: "segmentation", counts: { tp: 2, fp: 0, fn: 1, tn: 1 } });
    expect(first && "sweep" in first).toBe(false);

    const report = await a.tasks.report({ teamId, taskId });
    expect(report.scores).toEqual(overall);

    // Another team's member sees nothing of it.
    const b = await callerFor(t.db, bob.id);
    await expect(b.tasks.get({ teamId, taskId })).rejects.toThrow();
  });

  it("treats a stored value it cannot read as no scores", async () => {
    const a = await callerFor(t.db, alice.id);
    const teamId = alice.personalTeamId;
    const weight = await makeWeight(t.db, { teamId });
    const image = (await makeImage(t.db, teamId, alice.id, "bad.png")).id;
    const { id: taskId } = await a.tasks.create({
      teamId,
      weightId: weight.id,
      target: { type: "image", imageId: image },
      params: {},
    });
    await t.db.task.update({ where: { id: taskId }, data: { scores: '{"kind":"nonsense"}' } });
    expect((await a.tasks.get({ teamId, taskId })).scores).toBeNull();
  });
});
