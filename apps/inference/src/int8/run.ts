import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Int8ReportWire } from "@studio/contracts/inference/int8";
import { HttpError, withoutInternals } from "../http/errors";
import { writingPathOf } from "../isolated/job-output";
import { type IsolationLimits, runIsolated } from "../isolated/spawn";
import type { Int8Job, Int8Result } from "./job";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

export interface Int8Checked {
  report: Int8ReportWire;
  /** The complete INT8 model (a temp file the caller stores or removes), when offered. */
  output?: string;
  totalMs: number;
  peakRssMb: number;
  /** What the process said behind an "unsupported" report it did not write itself (log only). */
  detail?: string;
}

function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

/**
 * Quantises one FP32 ONNX file and measures the result in an isolated child process. Never
 * throws for anything the model does: a check that ran out of time or memory, or a process that
 * died, is a report with state "unsupported" and the reason in the user's terms, so the weight
 * page says why INT8 is not offered. On any outcome but "offered", no output file remains.
 * Throws an HttpError only for an invalid spec (400) or a check canceled by its caller (499).
 */
export async function checkInt8File(
  input: Omit<Int8Job, "output">,
  outputDir: string,
  limits: IsolationLimits,
  cancel?: AbortSignal,
): Promise<Int8Checked> {
  const started = performance.now();
  const total = () => Math.round(performance.now() - started);
  const output = path.join(outputDir, `${randomBytes(16).toString("hex")}.int8.onnx.part`);
  let kept = false;
  try {
    const run = await runIsolated<Int8Job, Int8Result>(CHILD, { ...input, output }, limits, cancel);
    const { result } = run;
    const peakRssMb = Math.round(run.peakRssBytes / (1024 * 1024));
    if (result && !result.ok) throw new HttpError(400, "bad_request", result.message);
    if (result?.ok) {
      // As plain data (the wire type allows fields the quantiser adds later).
      const report: Int8ReportWire = { ...result.report };
      const { written } = result;
      // The report goes on as "offered" only if the file on disk is the one the child wrote.
      if (written && (await stat(output).catch(() => null))?.size === written.size) {
        kept = true;
        return { report, output, totalMs: total(), peakRssMb };
      }
      if (report.state === "offered") {
        throw new Error("the INT8 check reported an offered model but its file is incomplete");
      }
      return { report, totalMs: total(), peakRssMb };
    }
    if (run.killedFor === "canceled") {
      throw new HttpError(499, "canceled", "the client closed the request");
    }
    const unsupported = (reason: string): Int8Checked => ({
      report: { state: "unsupported", reason, measuredAt: new Date().toISOString() },
      totalMs: total(),
      peakRssMb,
      ...(run.lastError ? { detail: run.lastError } : {}),
    });
    if (run.killedFor === "time") {
      return unsupported(
        `The INT8 check did not finish within ${duration(limits.timeoutMs)} and was stopped.`,
      );
    }
    if (run.outOfMemory) {
      return unsupported(
        `The INT8 check needed more than ${limits.maxMemoryMb} MB of memory and was stopped.`,
      );
    }
    // The contract says the quantiser never throws for a model; an error here is still the
    // model's verdict for the user, its raw words go to the log.
    if (run.exitCode === 0 && run.lastError) {
      return unsupported(
        `The INT8 check failed: ${withoutInternals(run.lastError).slice(0, 300) || "unknown error"}.`,
      );
    }
    return unsupported(
      `The INT8 check stopped unexpectedly (${run.signal ?? `exit code ${run.exitCode}`}) while quantising or measuring the model.`,
    );
  } finally {
    if (!kept)
      await Promise.all([rm(output, { force: true }), rm(writingPathOf(output), { force: true })]);
  }
}
