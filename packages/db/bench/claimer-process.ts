// One claimer of the queue benchmark, as its own process with its own client (forked by
// claimer-pool.ts). It stays up for the whole benchmark and is pointed at one store after the
// other, so the 16 processes pay their start-up (tsx, Prisma) once, not per round.
import { createDb, type Db } from "../src/client";
import {
  claimNextTask,
  completeItem,
  completeTask,
  listPendingItems,
  startItem,
} from "../src/queue";
import type { ClaimerReply, ClaimerRequest } from "./claimer-protocol";

let db: Db | undefined;

function reply(message: ClaimerReply): void {
  // The benchmark may be gone already (it failed or was interrupted).
  if (process.connected) process.send?.(message);
}

/** Store calls of the current round: the slowest one, and how many gave up on SQLITE_BUSY. */
let slowestMs = 0;
let busy = 0;

/**
 * Runs one store call, timing it. SQLite gives up with SQLITE_BUSY when a writer waited out the
 * busy timeout (5 s), which happens when many processes share one file; the worker would log
 * it and try again later (its guarded writes are safe to repeat), so here it is counted and
 * repeated at once, a few times at most.
 */
async function call<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      return await run();
    } catch (error) {
      if (attempt >= 5 || !String(error).includes("SQLITE_BUSY")) throw error;
      busy++;
    } finally {
      slowestMs = Math.max(slowestMs, performance.now() - started);
    }
  }
}

/**
 * Claims and finishes tasks until none is left, with the store calls the inference worker makes
 * for a task of one item whose model run takes no time (worker.ts runTask: claim, list pending
 * items, start item, record its result, complete the task). No heartbeat: the worker's first
 * one would come a third of a lease after the claim, long after a tiny task is done.
 */
async function drain(store: Db, workerId: string): Promise<string[]> {
  const claimed: string[] = [];
  for (;;) {
    // A fresh lease owner per claim, as the worker does (TaskWorker.leaseOwnerFor).
    const owner = `${workerId}/${claimed.length}`;
    const task = await call(() => claimNextTask(store, { workerId: owner, leaseMs: 60_000 }));
    if (!task) return claimed;
    claimed.push(task.id);
    const lease = { taskId: task.id, workerId: owner };
    for (const item of await call(() => listPendingItems(store, task.id))) {
      if (!(await call(() => startItem(store, { ...lease, itemId: item.id }))))
        throw new Error(`startItem lost the lease of task ${task.id}`);
      const recorded = await call(() =>
        completeItem(store, {
          ...lease,
          itemId: item.id,
          result: {
            path: `results/${task.id}/${item.position}.png`,
            sha256: "0".repeat(64),
            bytes: 1,
            device: "cpu",
            paramSignature: "bench",
          },
        }),
      );
      if (recorded !== "recorded") throw new Error(`completeItem of task ${task.id}: ${recorded}`);
    }
    const done = await call(() => completeTask(store, lease));
    if (done?.status !== "succeeded")
      throw new Error(`completeTask of task ${task.id}: ${done?.status ?? "lease lost"}`);
  }
}

async function handle(message: ClaimerRequest): Promise<void> {
  try {
    if (message.type === "open") {
      await db?.$disconnect();
      db = createDb(message.url);
      await db.$queryRaw`SELECT 1`;
      reply({ type: "ready" });
      return;
    }
    if (!db) throw new Error("no store opened");
    slowestMs = 0;
    busy = 0;
    const cpu = process.cpuUsage();
    const claimed = await drain(db, message.workerId);
    const used = process.cpuUsage(cpu);
    reply({ type: "done", claimed, slowestMs, busy, cpuMs: (used.user + used.system) / 1000 });
  } catch (error) {
    reply({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
}

process.on("message", (message: ClaimerRequest) => void handle(message));
// The benchmark ended (or died): leave with it rather than linger holding a connection.
process.on("disconnect", () => {
  void (db?.$disconnect() ?? Promise.resolve()).finally(() => process.exit(0));
});
reply({ type: "started" });
