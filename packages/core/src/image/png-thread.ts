// The PNG writer's compression thread (a worker thread; strip-thread.ts starts it): compresses
// strips while the caller's thread tunes the next rows. Bundled with what it imports into
// png-thread-source.ts by `pnpm --filter @studio/core build:kernels`, so it starts as plain
// JavaScript wherever the package runs (tsx, vitest, node).
import { parentPort } from "node:worker_threads";
import { Kernels } from "../kernels/index";
import { compressStrip, type StripJob } from "./png-strip";

export interface StripRequest {
  id: number;
  job: StripJob;
}

const port = parentPort;
if (!port) throw new Error("png-thread runs as a worker thread");
const kernels = Kernels.acquire();
port.on("message", ({ id, job }: StripRequest) => {
  try {
    const result = compressStrip(kernels, job);
    // The rows go back too, for the writer's next strip.
    port.postMessage({ id, result, rows: job.rows }, [
      result.compressed.buffer as ArrayBuffer,
      job.rows.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
