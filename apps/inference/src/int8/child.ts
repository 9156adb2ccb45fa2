// Child process that quantises one weight to INT8 and measures it against FP32
// (@studio/core/quantize). Quantising, calibrating and timing take seconds to minutes of CPU and
// memory that grow with the model, so they run here, under the memory cap and time limit of
// isolated/spawn.ts, instead of on the HTTP server's event loop or in the task worker.
import { open, readFile, rename } from "node:fs/promises";
import { buildInt8Model } from "@studio/core/quantize";
import { ModelSpec } from "@studio/core/spec";
import { writingPathOf } from "../isolated/job-output";
import { serveOneJob } from "../isolated/serve";
import type { Int8Job, Int8Result } from "./job";

async function check(job: Int8Job): Promise<Int8Result> {
  const spec = ModelSpec.safeParse(job.spec);
  if (!spec.success) {
    return { ok: false, message: `the weight's model spec is invalid: ${spec.error.message}` };
  }
  const buffer = await readFile(job.file);
  const { bytes, report } = await buildInt8Model({
    fp32: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength),
    spec: spec.data,
    taskKind: job.taskKind,
    threads: job.threads,
  });
  if (!bytes || report.state !== "offered") return { ok: true, report };
  const writing = writingPathOf(job.output);
  const file = await open(writing, "wx");
  try {
    await file.writeFile(bytes);
  } finally {
    await file.close();
  }
  await rename(writing, job.output);
  return { ok: true, report, written: { size: bytes.byteLength } };
}

serveOneJob(check);
