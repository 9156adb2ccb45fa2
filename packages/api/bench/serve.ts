// Child process of poll-tasks.ts: serves the API (createApiHandler on node:http) for a store,
// and plays a worker that keeps writing progress so reads compete with writes.
// Messages to the parent: { url } once listening; { cpuUs } (CPU time used since the parent's
// "mark") in answer to "cpu", so the benchmark can report server CPU per request.
import { createDb } from "@studio/db/client";
import { claimNextTask, completeItem, heartbeat, updateProgress } from "@studio/db/queue";
import { createApiHandler, serveNode } from "../src/http/handler";

const [databaseUrl] = process.argv.slice(2);
if (!databaseUrl) throw new Error("usage: serve.ts <DATABASE_URL>");
const db = createDb(databaseUrl);
const { url } = await serveNode(createApiHandler({ db }));
process.send?.({ url });

let mark = process.cpuUsage();
process.on("message", (message) => {
  if (message === "mark") mark = process.cpuUsage();
  if (message === "cpu") {
    const used = process.cpuUsage(mark);
    process.send?.({ cpuUs: used.user + used.system });
  }
});

const workerId = `bench-${process.pid}`;
const task = await claimNextTask(db, { workerId, leaseMs: 60_000 });
if (task && !process.argv.includes("--no-worker")) {
  const items = await db.taskItem.findMany({
    where: { taskId: task.id },
    orderBy: { position: "asc" },
    select: { id: true },
  });
  let i = 0;
  // One progress write every 50 ms and an item completed every second, like a busy worker.
  setInterval(async () => {
    i++;
    await updateProgress(db, { taskId: task.id, workerId, progress: (i % 1000) / 1000 }).catch(
      () => {},
    );
    if (i % 20 === 0) {
      await heartbeat(db, { taskId: task.id, workerId, leaseMs: 60_000 }).catch(() => {});
      const item = items[i / 20 - 1];
      if (item) {
        await completeItem(db, {
          taskId: task.id,
          itemId: item.id,
          workerId,
          result: {
            path: `results/${task.id}/${i}.png`,
            sha256: "0".repeat(64),
            bytes: 1,
            device: "cpu",
            paramSignature: task.paramSignature,
          },
        }).catch(() => {});
      }
    }
  }, 50);
}
process.on("SIGINT", () => process.exit(0));
