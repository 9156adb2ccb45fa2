// The process's PNG compression threads, started on first use and kept (a worker thread costs
// tens of milliseconds to start): strips go to the least busy one with their rows' memory
// transferred, not copied, and come back compressed with that memory, for the writer's next
// strip. Two threads: while the caller tunes, one keeps up with it on the other core; when the
// caller only writes (encodePng of a finished image), both cores compress.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { StripJob, StripResult } from "./png-strip";
import type { StripRequest } from "./png-thread";
import { PNG_THREAD_BASE64 } from "./png-thread-source";

const MAX_THREADS = 2;

interface Pending {
  resolve(answer: { result: StripResult; rows: Uint8Array }): void;
  reject(error: Error): void;
}

type Answer =
  | { id: number; result: StripResult; rows: Uint8Array; error?: undefined }
  | { id: number; error: string };

class StripThread {
  private readonly pending = new Map<number, Pending>();
  private worker: Worker | null = null;

  constructor(private readonly ids: { next: number }) {}

  get load(): number {
    return this.pending.size;
  }

  compress(job: StripJob): Promise<{ result: StripResult; rows: Uint8Array }> {
    const worker = this.start();
    const id = this.ids.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keeps the process alive while strips are out (a script awaiting its PNG must not end).
      worker.ref();
      worker.postMessage({ id, job } satisfies StripRequest, [job.rows.buffer as ArrayBuffer]);
    });
  }

  /** The thread, started if it is not running. */
  start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(Buffer.from(PNG_THREAD_BASE64, "base64").toString(), {
      eval: true,
    });
    worker.unref();
    worker.on("message", (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      if (!waiting) return;
      if (answer.error !== undefined) {
        waiting.reject(new Error(`PNG compression failed: ${answer.error}`));
      } else {
        waiting.resolve({ result: answer.result, rows: answer.rows });
      }
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on("error", (error) =>
      fail(new Error(`PNG compression thread failed: ${error.message}`)),
    );
    worker.on("exit", (code) => fail(new Error(`PNG compression thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

const ids = { next: 0 };
const threads = Array.from(
  { length: Math.max(1, Math.min(MAX_THREADS, availableParallelism())) },
  () => new StripThread(ids),
);

/**
 * Starts the threads if they are not running, so that they are ready by the first strip (a
 * writer calls this as it is made, before its caller produces rows).
 */
export function startCompressionThreads(): void {
  for (const thread of threads) thread.start();
}

/** Compresses `job` on the least busy compression thread; its rows' memory moves and returns. */
export function compressOnThread(
  job: StripJob,
): Promise<{ result: StripResult; rows: Uint8Array }> {
  const idlest = threads.reduce((best, thread) => (thread.load < best.load ? thread : best));
  return idlest.compress(job);
}
