// Submit-to-start latency: how long a task waits in the queue of an idle worker, from the
// moment createTask returns (the API answers the user) to the moment an idle claimer's
// claimNextTask returns it.
import { createDb, type Db } from "../src/client";
import { claimNextTask, createTask, subscribeToQueuedTasks } from "../src/queue";
import type { TestFixtures } from "../src/testing";

export type WaitMode = "notify" | "poll";

/** Resolves after `ms`, or at once when `signal` aborts (the worker's own pause()). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * `samples` latencies in ms. The claimer is the worker's idle loop (worker.ts loop): claim,
 * and when nothing is queued wait `pollMs` either with `waitForWork` (woken by LISTEN/NOTIFY on
 * PostgreSQL, `mode` "notify") or with a plain pause (`mode` "poll"). The submitter is another
 * client, as the web process is, and queues one task at a time after a random pause of up to
 * one poll period, so submissions fall at random points of the claimer's poll cycle.
 */
export async function submitToStartLatencies(args: {
  url: string;
  fx: TestFixtures;
  mode: WaitMode;
  pollMs: number;
  samples: number;
}): Promise<number[]> {
  const { url, fx, mode, pollMs, samples } = args;
  const submitter = createDb(url);
  const claimer: Db = createDb(url);
  const wakeups = mode === "notify" ? subscribeToQueuedTasks(url) : undefined;
  const stop = new AbortController();
  const claimedAt = new Map<string, number>();
  const waiting = new Map<
    string,
    { resolve: (at: number) => void; reject: (e: unknown) => void }
  >();
  let failed: { error: unknown } | undefined;
  const whenClaimed = (id: string) =>
    new Promise<number>((resolve, reject) => {
      const at = claimedAt.get(id);
      if (at !== undefined) resolve(at);
      else if (failed) reject(failed.error);
      else waiting.set(id, { resolve, reject });
    });

  const claimLoop = async () => {
    let n = 0;
    while (!stop.signal.aborted) {
      const task = await claimNextTask(claimer, {
        workerId: `latency-${mode}-${n++}`,
        leaseMs: 60_000,
      });
      if (task) {
        const at = performance.now();
        claimedAt.set(task.id, at);
        waiting.get(task.id)?.resolve(at);
        continue;
      }
      await (wakeups?.waitForWork(pollMs, stop.signal) ?? pause(pollMs, stop.signal));
    }
  };

  try {
    await wakeups?.ready;
    if (wakeups && !wakeups.listening) throw new Error("LISTEN did not start");
    // Connect both clients before measuring.
    await Promise.all([submitter.$queryRaw`SELECT 1`, claimer.$queryRaw`SELECT 1`]);
    // A failing claim ends the measurement with its error instead of leaving it waiting.
    const loop = claimLoop().catch((error: unknown) => {
      failed = { error };
      for (const { reject } of waiting.values()) reject(error);
    });
    const latencies: number[] = [];
    try {
      for (let i = 0; i < samples; i++) {
        await pause(Math.random() * pollMs);
        const { id } = await createTask(submitter, {
          teamId: fx.teamId,
          createdById: fx.userId,
          weightId: fx.weightId,
          weightSha256: fx.weightSha256,
          taskKind: "super_resolution",
          params: { sample: i },
          paramSignature: "bench",
          imageIds: fx.imageIds,
        });
        const submitted = performance.now();
        latencies.push((await whenClaimed(id)) - submitted);
      }
    } finally {
      stop.abort();
      await loop;
    }
    return latencies;
  } finally {
    stop.abort();
    await wakeups?.close();
    await Promise.all([submitter.$disconnect(), claimer.$disconnect()]);
  }
}
