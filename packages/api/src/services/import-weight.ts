import {
  type ImportReportWire as ImportReport,
  importReportSchema,
} from "@studio/contracts/inference/import-report";
import type { InferenceRequestError } from "@studio/contracts/inference-client";
import {
  ARCHITECTURE_FAMILIES,
  ARCHITECTURE_IDS,
  type ArchitectureInfo,
  getArchitectureInfo,
  isArchitectureId,
} from "@studio/core/architectures/catalog";
import { isImportableFileName } from "@studio/core/importers/formats";
import { env } from "../env";
import { AppError } from "../errors";
import type { InferenceClient } from "../inference";
import { deleteBlobsQuietly, type StoredFile, stageFile } from "../storage/blobs";
import type { ReceivedFile } from "../storage/files";
import { convertInService } from "./convert-weight";

export type ImportFormat = "pytorch" | "safetensors";

/** A state_dict the importer refused: answered as 422 with the whole report in `details`. */
export function importRejected(report: ImportReport): AppError {
  return new AppError(report.error?.code ?? "import_rejected", report.summary, { details: report });
}

export function isImportableName(name: string | undefined): boolean {
  return isImportableFileName(name ?? "");
}

/**
 * An upload's `architecture` parameter: absent (detected from the weights), a family to detect
 * within (rrdb, srvgg, unet), or an id the file is then checked against (a fixed one such as
 * octa-unet, or a generated one such as rrdbnet-x2-nf64-nb23-gc32). Anything else is a 400.
 */
export function architectureFor(id: string | undefined): string | undefined {
  if (!id) return undefined;
  if (isArchitectureId(id) || Object.hasOwn(ARCHITECTURE_FAMILIES, id)) return id;
  throw new AppError(
    "unknown_architecture",
    `Unknown architecture "${id}"; leave it out to detect it from the weights, or name a family (${Object.keys(
      ARCHITECTURE_FAMILIES,
    ).join(", ")}) or one of ${ARCHITECTURE_IDS.join(", ")}.`,
  );
}

/** What a named id is (task kind, name, default spec), known before the file is converted. */
export function namedArchitecture(id: string | undefined): ArchitectureInfo | null {
  return id && isArchitectureId(id) ? getArchitectureInfo(id) : null;
}

/** The service's 422 for a state_dict its importer refused carries the whole report. */
function importRejection(error: InferenceRequestError): AppError | undefined {
  const report = importReportSchema.safeParse(error.details);
  if (error.status !== 422 || !report.success) return undefined;
  // Written by @studio/core's importer in the service; the wire schema checked its shape.
  return importRejected(report.data);
}

/**
 * Turns an uploaded `.pth` / `.pt` / `.safetensors` state_dict (a received temp file) into the
 * ONNX object that goes on exactly like an uploaded ONNX: the upload is staged in the store under
 * incoming/, the inference service converts it in an isolated process (the reader decides the
 * container from the bytes; the declared format only supplies a file name when the uploader gave
 * none; without an architecture it detects one from the keys and shapes) and stores the ONNX under incoming/, which the caller then owns. The temp file and the
 * staged upload are always removed; a refused state_dict throws an AppError with the import
 * report in `details` and leaves nothing behind.
 */
export async function importStateDict(
  upload: ReceivedFile,
  input: { architecture?: string; fileName?: string; format?: ImportFormat },
  inference: InferenceClient,
): Promise<{ file: StoredFile; report: ImportReport; architecture: ArchitectureInfo }> {
  const fileName = isImportableName(input.fileName)
    ? (input.fileName as string)
    : `upload${input.format === "safetensors" ? ".safetensors" : ".pth"}`;
  const staged = await stageFile(upload, fileName.slice(fileName.lastIndexOf(".")).toLowerCase());
  try {
    const { file, response } = await convertInService(
      inference,
      {
        kind: "state_dict",
        key: staged.key,
        // Absent: the service detects the architecture from the keys and shapes.
        ...(input.architecture ? { architecture: input.architecture } : {}),
        fileName,
        limits: { maxBytes: env().MAX_WEIGHT_BYTES },
      },
      importRejection,
    );
    // The id the service built (named or detected) is a fixed or generated one; it describes
    // the architecture fully.
    return {
      file,
      report: response.report,
      architecture: getArchitectureInfo(response.report.architecture),
    };
  } finally {
    await deleteBlobsQuietly(staged.key);
  }
}
