// The thread that keeps a worker's task leases (started by lease-keeper.ts). onnxruntime-node
// runs a model synchronously on the worker's JavaScript thread, so a timer there cannot fire
// during a long tile; this thread has its own event loop and its own store connection, and
// heartbeats every kept lease on time however long a tile takes.
import { parentPort, workerData } from "node:worker_threads";
import { createDb } from "@studio/db/client";
import { heartbeat, workerHeartbeat } from "@studio/db/queue";
import type { LeaseThreadData, ToLeaseThread } from "./lease-keeper";

const port = parentPort;
if (!port) throw new Error("lease-thread.ts runs as a worker thread (lease-keeper.ts starts it)");
const data = workerData as LeaseThreadData;
const db = createDb(data.databaseUrl);

interface Kept {
  timer: NodeJS.Timeout;
  inFlight: boolean;
}
const kept = new Map<string, Kept>();
/** When the worker's thread last spoke; a thread that stays silent too long is hung. */
let lastHeard = Date.now();

function keep(msg: Extract<ToLeaseThread, { type: "keep" }>): void {
  drop(msg.taskId);
  const entry: Kept = {
    inFlight: false,
    timer: setInterval(async () => {
      // A worker thread that has not answered for this long is hung, not busy with a tile:
      // stop renewing, so the lease expires and another worker takes the task.
      if (Date.now() - lastHeard > data.maxSilenceMs) {
        drop(msg.taskId);
        port?.postMessage({ type: "abandoned", taskId: msg.taskId });
        return;
      }
      if (entry.inFlight) return;
      entry.inFlight = true;
      try {
        const hb = await heartbeat(db, {
          taskId: msg.taskId,
          workerId: msg.workerId,
          leaseMs: msg.leaseMs,
        });
        if (kept.get(msg.taskId) === entry)
          port?.postMessage({ type: "state", taskId: msg.taskId, ...hb });
        if (!hb.held) drop(msg.taskId);
      } catch (error) {
        port?.postMessage({
          type: "error",
          taskId: msg.taskId,
          message: error instanceof Error ? error.message : String(error),
        });
      } finally {
        entry.inFlight = false;
      }
    }, msg.intervalMs),
  };
  kept.set(msg.taskId, entry);
}

function drop(taskId: string): void {
  const entry = kept.get(taskId);
  if (!entry) return;
  clearInterval(entry.timer);
  kept.delete(taskId);
}

// Connected before the first lease is handed over: opening the store (and loading this
// thread's modules) takes a while on a busy machine, and the first renewal must not wait for it.
await db.$queryRaw`SELECT 1`;
port.postMessage({ type: "ready" });

// The process's own liveness too, for the same reason (a busy worker is not a dead one).
const { worker } = data;
if (worker) {
  setInterval(() => {
    if (Date.now() - lastHeard <= data.maxSilenceMs) {
      workerHeartbeat(db, { id: worker.id }).catch(() => {});
    }
  }, worker.everyMs).unref();
}

port.on("message", async (msg: ToLeaseThread) => {
  lastHeard = Date.now();
  if (msg.type === "ping") return;
  if (msg.type === "keep") keep(msg);
  else if (msg.type === "drop") drop(msg.taskId);
  else if (msg.type === "close") {
    for (const id of [...kept.keys()]) drop(id);
    await db.$disconnect().catch(() => {});
    port.postMessage({ type: "closed" });
    port.close();
  }
});
