// Checks the scale-out tests share: the registry's view of the nodes, and what every task must
// end with.
import type { Db } from "@studio/db/client";
import { listNodes, type NodeStatus } from "@studio/db/nodes";
import { expect, vi } from "vitest";

/** Waits until the registry lists exactly these nodes in these states. */
export async function waitForNodeStates(db: Db, states: Record<string, NodeStatus["state"]>) {
  await vi.waitFor(
    async () => {
      const listed = Object.fromEntries((await listNodes(db)).map((n) => [n.id, n.state]));
      expect(listed).toEqual(states);
    },
    { timeout: 90_000, interval: 200 },
  );
}

/** Each task's one item succeeded, each with its own result; returns the result keys. */
export async function expectOneResultEach(db: Db, taskIds: string[]): Promise<string[]> {
  const items = await db.taskItem.findMany({
    where: { taskId: { in: taskIds } },
    select: { status: true, resultPath: true },
  });
  expect(items).toHaveLength(taskIds.length);
  expect(items.every((item) => item.status === "succeeded")).toBe(true);
  const keys = items.map((item) => item.resultPath as string);
  expect(new Set(keys).size).toBe(taskIds.length);
  return keys;
}
