// Child process that inspects, loads and trial-runs one untrusted ONNX file. It runs under a
// memory cap and a time limit set by the parent (run.ts, through isolated/spawn.ts), so a
// hostile graph can only take this process down.
import { readFile } from "node:fs/promises";
import type { RejectionCode } from "@studio/contracts/inference/validate";
import {
  assertRunnable,
  inspectOnnx,
  OnnxInspectError,
  type OnnxInspection,
} from "@studio/core/onnx";
import { ModelSpec, type TaskKind } from "@studio/core/spec";
import * as ortModule from "onnxruntime-node";
import { withoutInternals } from "../http/errors";
import { holdPoint } from "../isolated/hold";
import { isOutOfMemory, serveOneJob } from "../isolated/serve";
import { checkDeclaredIo, checkOutput, Rejection, referenceInput, resolveSpec } from "./checks";

const ort = ((ortModule as { default?: typeof ortModule }).default ??
  ortModule) as typeof ortModule;

export interface ChildJob {
  file: string;
  taskKind: TaskKind;
  spec?: unknown;
  maxRunMs: number;
  /** The memory allowance, named in a rejection for memory. */
  maxMemoryMb: number;
}

export interface ChildResult {
  ok: boolean;
  code?: RejectionCode;
  reason?: string;
  inputs: OnnxInspection["inputs"];
  outputs: OnnxInspection["outputs"];
  opsets: OnnxInspection["opsetImports"];
  opset?: number | null;
  parameterCount?: number;
  derivedScale?: number;
  spec?: unknown;
  referenceInputShape?: number[];
  referenceOutputShape?: number[];
  timings: { inspectMs?: number; loadMs?: number; runMs?: number };
  peakRssMb: number;
  /** A library's own words behind a rejection, for the service's log only. */
  detail?: string;
}

const INSPECT_CODES: Record<string, RejectionCode> = {
  empty: "truncated",
  not_onnx: "not_onnx",
  truncated: "truncated",
  no_graph: "not_onnx",
  external_data: "external_data",
  custom_domain: "custom_op_domain",
  no_inputs: "io_mismatch",
  no_outputs: "io_mismatch",
};

function ms(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}

async function validate(job: ChildJob): Promise<ChildResult> {
  const result: ChildResult = {
    ok: false,
    inputs: [],
    outputs: [],
    opsets: [],
    timings: {},
    peakRssMb: 0,
  };
  // The user is told what was wrong in their terms; the library's words go to the log.
  const reject = (code: RejectionCode, reason: string, raw: string) => {
    result.detail = raw.slice(0, 2000);
    return new Rejection(code, reason);
  };
  const memoryLimit = `the validation limit of ${job.maxMemoryMb} MB`;
  try {
    await holdPoint("validate-start");
    let t = performance.now();
    const bytes = await readFile(job.file);
    let info: OnnxInspection;
    try {
      info = inspectOnnx(bytes);
      Object.assign(result, {
        inputs: info.inputs,
        outputs: info.outputs,
        opsets: info.opsetImports,
        opset: info.opset,
        parameterCount: info.parameterCount,
      });
      assertRunnable(info);
    } catch (error) {
      if (error instanceof OnnxInspectError) {
        throw new Rejection(INSPECT_CODES[error.code] ?? "not_onnx", error.message);
      }
      throw error;
    }
    const { spec: specInput, scaleFromRun } = resolveSpec(job.taskKind, job.spec, info);
    const spec = ModelSpec.parse(specInput);
    checkDeclaredIo(job.taskKind, spec, info);
    result.timings.inspectMs = ms(t);

    t = performance.now();
    let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        logSeverityLevel: 3,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isOutOfMemory(message))
        throw reject(
          "too_much_memory",
          `loading the model needs more memory than ${memoryLimit} allows`,
          message,
        );
      throw reject(
        "load_failed",
        `onnxruntime cannot load the model: ${withoutInternals(message).slice(0, 400)}`,
        message,
      );
    }
    result.timings.loadMs = ms(t);

    const inputName = spec.inputName ?? session.inputNames[0] ?? "";
    const outputName = spec.outputName ?? session.outputNames[0] ?? "";
    const ref = referenceInput(spec);
    result.referenceInputShape = ref.dims;
    t = performance.now();
    let output: { data: ArrayLike<number>; dims: readonly number[] };
    try {
      const outputs = await session.run({
        [inputName]: new ort.Tensor("float32", ref.data, ref.dims),
      });
      const tensor = outputs[outputName];
      if (!tensor) throw new Error(`no output named "${outputName}"`);
      output = { data: tensor.data as ArrayLike<number>, dims: tensor.dims };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isOutOfMemory(message)) {
        throw reject(
          "too_much_memory",
          `running the model on a ${ref.dims[3]}x${ref.dims[2]} reference input needs more memory than ${memoryLimit} allows`,
          message,
        );
      }
      throw reject(
        "run_failed",
        `the model fails on a ${ref.dims[3]}x${ref.dims[2]} reference input ${JSON.stringify(ref.dims)}: ${withoutInternals(message).slice(0, 400)}`,
        message,
      );
    }
    result.timings.runMs = ms(t);
    result.referenceOutputShape = [...output.dims];
    if (result.timings.runMs > job.maxRunMs) {
      throw new Rejection(
        "too_slow",
        `one run on a ${ref.dims[3]}x${ref.dims[2]} reference input took ${Math.round(result.timings.runMs)} ms (limit ${job.maxRunMs} ms)`,
      );
    }
    const facts = checkOutput(job.taskKind, spec, ref.dims, output, scaleFromRun);
    if (facts.derivedScale !== undefined) result.derivedScale = facts.derivedScale;
    result.spec =
      scaleFromRun && facts.derivedScale !== undefined
        ? { ...spec, scale: facts.derivedScale }
        : spec;
    await session.release();
    result.ok = true;
  } catch (error) {
    if (error instanceof Rejection) {
      result.code = error.code;
      result.reason = error.message;
    } else {
      const message = error instanceof Error ? error.message : String(error);
      result.code = "load_failed";
      result.reason = withoutInternals(message).slice(0, 400);
      result.detail = message.slice(0, 2000);
    }
  }
  result.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  return result;
}

serveOneJob(validate);
