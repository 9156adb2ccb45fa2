// What an INT8 check process receives and answers; shared by child.ts and run.ts.
import type { Int8ReportWire } from "@studio/contracts/inference/int8";
import type { Int8Report } from "@studio/core/quantize";
import type { NamedFields } from "../isolated/job-output";

export interface Int8Job {
  /** The FP32 ONNX file (a local file of this node). */
  file: string;
  /** The weight's model spec as registered. */
  spec: unknown;
  taskKind: "super_resolution" | "segmentation";
  /** onnxruntime intra-op threads for both sessions (the worker's, so the speed-up is theirs). */
  threads: number;
  /** Where the INT8 model goes when offered; it appears there only once complete. */
  output: string;
}

export type Int8Result =
  | { ok: true; report: Int8Report; written?: { size: number } }
  /** The spec does not parse: the weight cannot be checked (the caller's fault, not the model's). */
  | { ok: false; message: string };

// The wire schema must describe every report the quantiser writes (this fails to compile if
// not). Its index signature, for fields added later, is left out of the comparison.
const int8ReportFitsWire: Int8Report extends NamedFields<Int8ReportWire> ? true : never = true;
void int8ReportFitsWire;
