import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { runIsolated } from "../isolated/spawn";
import type { TaskKind, ValidateResponse } from "../protocol";
import type { ChildJob, ChildResult } from "./child";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

export interface ValidationLimits {
  /** Wall-clock limit for the whole child (start, inspect, load, run). */
  timeoutMs: number;
  /** Resident memory the child may reach; also its extra address space. */
  maxMemoryMb: number;
  /** Longest acceptable single reference run. */
  maxRunMs: number;
}

export interface ValidationInput {
  file: string;
  taskKind: TaskKind;
  spec?: unknown;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Validates one ONNX file in an isolated child process (memory cap, time limit). Never throws
 * for anything the model does; every failure becomes a rejection with its reason.
 */
export async function validateWeightFile(
  input: ValidationInput,
  limits: ValidationLimits,
): Promise<ValidateResponse> {
  const started = performance.now();
  const total = () => Math.round(performance.now() - started);
  const base = { taskKind: input.taskKind, inputs: [], outputs: [], opsets: [] };
  const info = await stat(input.file);
  const sha256 = await sha256File(input.file);

  const job: ChildJob = {
    file: input.file,
    taskKind: input.taskKind,
    spec: input.spec,
    maxRunMs: limits.maxRunMs,
  };
  const run = await runIsolated<ChildJob, ChildResult>(CHILD, job, limits);
  const { result } = run;
  const common = { ...base, sha256, sizeBytes: info.size };
  const peakRssMb = Math.round(
    Math.max(run.peakRssBytes, (result?.peakRssMb ?? 0) * 1024 * 1024) / (1024 * 1024),
  );

  if (result) {
    return {
      ...common,
      ...result,
      timings: { ...result.timings, totalMs: total() },
      peakRssMb,
    };
  }
  if (run.killedFor === "time") {
    return {
      ...common,
      ok: false,
      code: "too_slow",
      reason: `validation did not finish within ${Math.round(limits.timeoutMs / 1000)} s (load and one reference run)`,
      timings: { totalMs: total() },
      peakRssMb,
    };
  }
  if (run.outOfMemory) {
    return {
      ...common,
      ok: false,
      code: "too_much_memory",
      reason: `the model needed more than ${limits.maxMemoryMb} MB of memory during validation`,
      timings: { totalMs: total() },
      peakRssMb,
    };
  }
  return {
    ...common,
    ok: false,
    code: "load_failed",
    reason: `the validation process died (${run.signal ?? `exit ${run.exitCode}`}) while loading or running the model${run.lastError ? `: ${run.lastError}` : ""}`,
    timings: { totalMs: total() },
    peakRssMb,
  };
}
