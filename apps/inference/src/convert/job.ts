// What a conversion process receives and answers; shared by child.ts and run.ts.
import type { InferenceErrorCode } from "@studio/contracts/errors";
import type { NcnnReport } from "@studio/contracts/inference/convert";
import type { ImportReportWire } from "@studio/contracts/inference/import-report";
import type { ImportReport } from "@studio/core/importers";
import type { NamedFields } from "../isolated/job-output";

/** Absolute paths: the parent has already checked them against DATA_DIR/tmp. */
export type ConversionSource =
  /** architecture absent: detected from the keys and shapes. */
  | { kind: "state_dict"; file: string; architecture?: string; fileName: string }
  | { kind: "ncnn"; param: string; bin: string };

export type ConversionJob = ConversionSource & {
  /** Where the ONNX file goes; it appears there only once complete. */
  output: string;
  maxBytes: number;
};

interface Written {
  size: number;
  sha256: string;
  peakRssMb: number;
}

export type ConversionResult =
  | (Written & { ok: true; kind: "state_dict"; report: ImportReport })
  | (Written & { ok: true; kind: "ncnn"; report: NcnnReport })
  /** The upload cannot be converted; status, code and message go to the client as they are. */
  | {
      ok: false;
      status: 400 | 413 | 422;
      code: InferenceErrorCode;
      message: string;
      details?: unknown;
    };

// The wire schema must describe every report the importer writes (this fails to compile if
// not). Its index signature, for fields added later, is left out of the comparison.
const importReportFitsWire: ImportReport extends NamedFields<ImportReportWire> ? true : never =
  true;
void importReportFitsWire;
