import { blankImportReport } from "@studio/contracts/inference/import-report";
import {
  ARCHITECTURE_FAMILIES,
  type ArchitectureFamily,
  parameterCount,
} from "../architectures/catalog";
import { type DetectedArchitecture, detectArchitecture } from "../architectures/detect";
import { createArchitecture, getArchitecture } from "../architectures/registry";
import type { Architecture } from "../architectures/types";
import { DEFAULT_MAX_BYTES, ImportError, type ImportErrorCode } from "./errors";
import { IMPORTABLE_EXTENSIONS, type WeightFormat } from "./formats";
import { checkKeys, type KeyReport, keyProblems } from "./keys";
import { readPytorch } from "./pytorch";
import { readSafetensors } from "./safetensors";
import { type DType, type StateDict, toFloat32 } from "./tensor";

export { IMPORTABLE_EXTENSIONS, type WeightFormat };

export interface ImportReport extends KeyReport {
  verdict: "accepted" | "rejected";
  /** One sentence for the UI: why rejected, or what was accepted. */
  summary: string;
  /** Every reason for rejection, each naming the key or the byte range concerned. */
  problems: string[];
  /** Accepted-with-notes items (unexpected keys ignored, prefix stripped, dtype converted). */
  warnings: string[];
  /** The id built (fixed, e.g. "octa-unet", or generated, e.g. "rrdbnet-x2-nf64-nb23-gc32"); "" if none. */
  architecture: string;
  /** What detection read from the keys and shapes (null when it did not recognise the file). */
  detected: DetectedSummary | null;
  fileName: string;
  sizeBytes: number;
  format: WeightFormat | null;
  /** A file-level failure (unreadable, unsafe, not a state_dict) with its stable code. */
  error: { code: ImportErrorCode; message: string } | null;
  wrapperKey: string | null;
  strippedPrefix: string | null;
  tensorCount: number;
  parameterCount: number;
  /** Number of tensors per stored dtype (F16/BF16 are converted to float32). */
  dtypes: Partial<Record<DType, number>>;
  nonFinite: string[];
}

/** The JSON part of a detection, as the report carries it. */
export type DetectedSummary = Omit<DetectedArchitecture, "config">;

export interface ImportInput {
  bytes: Uint8Array;
  fileName: string;
  /**
   * Absent: detected from the keys and shapes. A family ("rrdb", "srvgg", "unet"): detected
   * within that family. An id ("octa-unet", "rrdbnet-x2-nf64-nb23-gc32", ...) or an
   * Architecture object: the file is checked against it key by key.
   */
  architecture?: string | Architecture;
  maxBytes?: number;
}

export interface ImportResult {
  /** The built ONNX model, or null when the report's verdict is "rejected". */
  onnx: Uint8Array | null;
  report: ImportReport;
}

/**
 * Reads a PyTorch or safetensors state_dict, checks it against a known architecture and builds
 * the ONNX model. Problems with the upload never throw: they come back as a rejected report.
 */
export async function importWeights(input: ImportInput): Promise<ImportResult> {
  const named = input.architecture;
  const family =
    typeof named === "string" && Object.hasOwn(ARCHITECTURE_FAMILIES, named)
      ? (named as ArchitectureFamily)
      : undefined;
  const architecture: Architecture | null =
    named === undefined || family
      ? null
      : typeof named === "string"
        ? getArchitecture(named)
        : named;
  const report: ImportReport = {
    ...blankImportReport({
      architecture: architecture?.id ?? "",
      fileName: input.fileName,
      sizeBytes: input.bytes.byteLength,
    }),
    detected: null,
  };
  const reject = (): ImportResult => {
    report.verdict = "rejected";
    const target = report.architecture || family || "any known architecture";
    report.summary = `rejected for ${target}: ${report.problems.slice(0, 3).join("; ")}${
      report.problems.length > 3 ? `; and ${report.problems.length - 3} more` : ""
    }`;
    return { onnx: null, report };
  };

  try {
    return await runImport(input, { architecture, family }, report, reject);
  } catch (error) {
    if (!(error instanceof ImportError)) throw error;
    report.error = { code: error.code, message: error.message };
    report.problems.push(error.message);
    return reject();
  }
}

async function runImport(
  input: ImportInput,
  target: { architecture: Architecture | null; family?: ArchitectureFamily },
  report: ImportReport,
  reject: () => ImportResult,
): Promise<ImportResult> {
  let tensors = await readStateDict(input, report);
  const stripped = stripModulePrefix(tensors);
  tensors = stripped.tensors;
  if (stripped.count > 0) {
    report.strippedPrefix = "module.";
    report.warnings.push(
      `stripped the 'module.' prefix (DataParallel) from ${stripped.count} keys`,
    );
  }
  report.tensorCount = tensors.size;
  for (const tensor of tensors.values()) {
    report.dtypes[tensor.dtype] = (report.dtypes[tensor.dtype] ?? 0) + 1;
  }

  // Detection reads keys and shapes only; a named architecture is then the check, and what was
  // detected is still reported.
  const detection = detectArchitecture(tensors, { family: target.family });
  if (detection.ok) {
    const { config: _config, ...summary } = detection.detected;
    report.detected = summary;
  }
  let architecture = target.architecture;
  if (!architecture) {
    if (!detection.ok) {
      report.problems.push(detection.message);
      return reject();
    }
    architecture = createArchitecture(detection.detected.config);
    report.architecture = architecture.id;
    report.warnings.push(...detection.detected.notes);
  }

  Object.assign(report, checkKeys(tensors, architecture));
  report.problems.push(...keyProblems(report));
  if (report.unexpected.length > 0) {
    report.warnings.push(
      `${report.unexpected.length} unexpected key(s) ignored: ${report.unexpected
        .slice(0, 10)
        .map((u) => u.key)
        .join(", ")}${report.unexpected.length > 10 ? ", ..." : ""}`,
    );
  }
  if (report.problems.length > 0) return reject();

  const weights = new Map<string, Float32Array>();
  let halfCount = 0;
  for (const spec of architecture.parameters) {
    const tensor = tensors.get(spec.name);
    if (!spec.required || !tensor) continue;
    if (tensor.dtype === "F16" || tensor.dtype === "BF16") halfCount++;
    const values = toFloat32(tensor);
    if (!values.every(Number.isFinite)) report.nonFinite.push(spec.name);
    weights.set(spec.name, values);
  }
  if (report.nonFinite.length > 0) {
    report.problems.push(
      ...report.nonFinite.map((key) => `'${key}' contains NaN or infinite values`),
    );
    return reject();
  }
  if (halfCount > 0)
    report.warnings.push(`${halfCount} half-precision tensor(s) converted to float32`);

  const onnx = architecture.build(weights);
  report.parameterCount = parameterCount(architecture);
  report.verdict = "accepted";
  const found = report.detected?.id === architecture.id ? ` (${report.detected.name})` : "";
  report.summary = `accepted as ${architecture.id}${found}: ${report.matched} tensors, ${report.parameterCount} parameters${
    report.warnings.length ? ` (${report.warnings.join("; ")})` : ""
  }`;
  return { onnx, report };
}

/** Reads the upload with the reader its bytes call for; notes wrapper keys in the report. */
async function readStateDict(input: ImportInput, report: ImportReport): Promise<StateDict> {
  const format = detectFormat(input.bytes, input.fileName);
  report.format = format;
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_BYTES;
  if (format === "safetensors") return readSafetensors(input.bytes, { maxBytes }).tensors;
  const file = await readPytorch(input.bytes, { maxBytes });
  report.wrapperKey = file.wrapperKey;
  if (file.wrapperKey) {
    const ignored = file.ignoredTopLevelKeys.length
      ? `; ignored: ${file.ignoredTopLevelKeys.join(", ")}`
      : "";
    report.warnings.push(`state_dict taken from checkpoint key '${file.wrapperKey}'${ignored}`);
  }
  return file.tensors;
}

/** Detects the container from the bytes; the extension only has to be one we import. */
export function detectFormat(bytes: Uint8Array, fileName: string): WeightFormat {
  const lower = fileName.toLowerCase();
  if (!IMPORTABLE_EXTENSIONS.some((ext) => lower.endsWith(ext))) {
    throw new ImportError(
      "unknown_format",
      `'${fileName}' is not a .pth, .pt or .safetensors file`,
    );
  }
  if (bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) return "pytorch";
  if (bytes[0] === 0x80) return "pytorch"; // legacy pickle: readPytorch explains the refusal
  if (bytes.byteLength >= 9 && bytes[8] === 0x7b) return "safetensors";
  if (lower.endsWith(".safetensors")) return "safetensors"; // let the reader name the problem
  throw new ImportError(
    "unknown_format",
    `'${fileName}' is neither a PyTorch zip archive nor a safetensors file (it starts with bytes ${[
      ...bytes.subarray(0, 4),
    ]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join(" ")})`,
  );
}

/** torch.nn.DataParallel saves keys as `module.<name>`; drop that prefix where present. */
export function stripModulePrefix(tensors: StateDict): { tensors: StateDict; count: number } {
  let count = 0;
  const out: StateDict = new Map();
  for (const [key, tensor] of tensors) {
    if (key.startsWith("module.")) {
      count++;
      out.set(key.slice("module.".length), tensor);
    } else {
      out.set(key, tensor);
    }
  }
  return { tensors: out, count };
}
