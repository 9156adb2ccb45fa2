// The child's half of an isolated run (the parent's is spawn.ts). Protocol: one JSON line per
// message on stdout; the child announces `ready`, the parent tightens the address-space limit
// (once the runtime's own reservations are made) and sends the job as one JSON line on stdin;
// the child answers with `result` (or `error` for anything its handler did not expect) and exits.
import { createInterface } from "node:readline";

/** What a child prints on stdout, one JSON object a line. */
export type ChildMessage<Result> =
  | { stage: "ready"; pid: number }
  | { stage: "result"; result: Result }
  | { stage: "error"; message: string };

/**
 * Messages with which V8, onnxruntime or the C++ allocator report an exhausted heap or a refused
 * allocation (the address-space cap makes large allocations fail instead of growing).
 */
const OUT_OF_MEMORY =
  /fail(ed)? to allocate|allocation failed|bad_alloc|out of memory|cannot allocate memory|ENOMEM|heap limit/i;

export function isOutOfMemory(message: string): boolean {
  return OUT_OF_MEMORY.test(message);
}

function send<Result>(message: ChildMessage<Result>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Runs `handle` on the one job the parent sends, reports its outcome, and exits. */
export function serveOneJob<Job, Result>(handle: (job: Job) => Promise<Result>): void {
  send({ stage: "ready", pid: process.pid });
  const lines = createInterface({ input: process.stdin });
  lines.once("line", (line) => {
    lines.close();
    handle(JSON.parse(line) as Job)
      .then((result) => send({ stage: "result", result }))
      .catch((error: unknown) =>
        send({ stage: "error", message: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => process.exit(0));
  });
}
