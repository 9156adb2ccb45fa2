import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { ValidateResponse } from "@studio/contracts/inference/validate";
import type { TaskKind } from "@studio/contracts/task";
import { runIsolated } from "../isolated/spawn";
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

export interface Validated {
  /** The answer for the uploader: reasons in their terms. */
  report: ValidateResponse;
  /** What the libraries or the process said behind a rejection, for the service's log only. */
  detail?: string;
}

/**
 * Validates one ONNX file in an isolated child process (memory cap, time limit). Never throws
 * for anything the model does; every failure becomes a rejection with its reason.
 */
export async function validateWeightFile(
  input: ValidationInput,
  limits: ValidationLimits,
  testHoldDir?: string,
): Promise<Validated> {
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
    maxMemoryMb: limits.maxMemoryMb,
  };
  const run = await runIsolated<ChildJob, ChildResult>(CHILD, job, limits, undefined, testHoldDir);
  const { result } = run;
  const common = { ...base, sha256, sizeBytes: info.size };
  const peakRssMb = Math.round(
    Math.max(run.peakRssBytes, (result?.peakRssMb ?? 0) * 1024 * 1024) / (1024 * 1024),
  );

  if (result) {
    const { detail, ...answer } = result;
    return {
      report: { ...common, ...answer, timings: { ...answer.timings, totalMs: total() }, peakRssMb },
      ...(detail === undefined ? {} : { detail }),
    };
  }
  const detail = run.lastError || undefined;
  const rejected = (code: ValidateResponse["code"], reason: string): Validated => ({
    report: { ...common, ok: false, code, reason, timings: { totalMs: total() }, peakRssMb },
    ...(detail === undefined ? {} : { detail }),
  });
  if (run.killedFor === "time") {
    return rejected(
      "too_slow",
      `validation did not finish within ${Math.round(limits.timeoutMs / 1000)} s (load and one reference run)`,
    );
  }
  if (run.outOfMemory) {
    return rejected(
      "too_much_memory",
      `the model needs more memory than the validation limit of ${limits.maxMemoryMb} MB allows`,
    );
  }
  // What the process printed as it died is for the log: it names the runtime's internals.
  return rejected(
    "load_failed",
    `the validation process stopped unexpectedly (${run.signal ?? `exit code ${run.exitCode}`}) while loading or running the model`,
  );
}
