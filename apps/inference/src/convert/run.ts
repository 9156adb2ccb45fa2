import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HttpError } from "../http/errors";
import { writingPathOf } from "../isolated/job-output";
import { type IsolationLimits, runIsolated } from "../isolated/spawn";
import type { ConversionJob, ConversionResult, ConversionSource } from "./job";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

export interface ConversionLimits extends IsolationLimits {
  /** Largest input the child will read. */
  maxBytes: number;
}

export type Converted = Extract<ConversionResult, { ok: true }> & {
  /** Absolute path of the complete ONNX file. */
  output: string;
  totalMs: number;
};

/** The answer to a conversion whose client went away (logged; nobody receives it). */
export const canceledError = () => new HttpError(499, "canceled", "the client closed the request");

function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

/**
 * Converts one upload to ONNX in an isolated child process and leaves the result in
 * `outputDir` as <random>.onnx.part. All or nothing: on any failure no output file remains,
 * whenever the child stopped (it writes <output>.writing and renames it when complete; a child
 * killed before that, even by someone else's SIGKILL, leaves a file only this side removes).
 * Failures are HttpErrors whose code and message are meant for the uploader; a conversion past
 * its time or memory limit has its process killed. `cancel` stops it when the client leaves.
 */
export async function convertWeightFile(
  source: ConversionSource,
  outputDir: string,
  limits: ConversionLimits,
  cancel?: AbortSignal,
  testHoldDir?: string,
): Promise<Converted> {
  const started = performance.now();
  const output = path.join(outputDir, `${randomBytes(16).toString("hex")}.onnx.part`);
  const job: ConversionJob = { ...source, output, maxBytes: limits.maxBytes };
  let kept = false;
  try {
    const run = await runIsolated<ConversionJob, ConversionResult>(
      CHILD,
      job,
      limits,
      cancel,
      testHoldDir,
    );
    const { result } = run;
    if (result?.ok) {
      // The answer goes on only if the file on disk is the one it describes.
      if ((await stat(output)).size !== result.size) {
        throw new HttpError(500, "internal", "the converted file is incomplete");
      }
      kept = true;
      return { ...result, output, totalMs: Math.round(performance.now() - started) };
    }
    if (result) throw new HttpError(result.status, result.code, result.message, result.details);
    if (run.killedFor === "canceled") throw canceledError();
    if (run.killedFor === "time") {
      throw new HttpError(
        422,
        "too_slow",
        `the conversion did not finish within ${duration(limits.timeoutMs)} and was stopped`,
      );
    }
    if (run.outOfMemory) {
      throw new HttpError(
        422,
        "too_much_memory",
        `the conversion needed more than ${limits.maxMemoryMb} MB of memory and was stopped`,
      );
    }
    // The converters report every problem with an upload; anything else is a fault here.
    throw new Error(
      `conversion process failed (${run.signal ?? `exit ${run.exitCode}`}): ${run.lastError}`,
    );
  } finally {
    if (!kept)
      await Promise.all([rm(output, { force: true }), rm(writingPathOf(output), { force: true })]);
  }
}
