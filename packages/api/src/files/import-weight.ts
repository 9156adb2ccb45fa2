import { ARCHITECTURE_IDS, type Architecture, getArchitecture } from "@studio/core/architectures";
import { IMPORTABLE_EXTENSIONS, type ImportReport } from "@studio/core/importers";
import { importReportSchema } from "@studio/inference/protocol";
import { env } from "../env";
import type { InferenceClient, InferenceRequestError } from "../inference-client";
import { convertInService, relativeDataPath } from "./convert-weight";
import { type ReceivedFile, removeQuietly, UploadError } from "./storage";

export type ImportFormat = "pytorch" | "safetensors";

/** A state_dict the importer refused: answered as 422 with the whole report in `details`. */
export class ImportRejectedError extends UploadError {
  constructor(readonly report: ImportReport) {
    super(422, report.error?.code ?? "import_rejected", report.summary);
    this.name = "ImportRejectedError";
  }
}

export function isImportableName(name: string | undefined): boolean {
  const lower = name?.toLowerCase() ?? "";
  return IMPORTABLE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** The registry entry of an upload's `architecture` parameter; unknown ids are a 400. */
export function architectureFor(id: string | undefined): Architecture {
  if (!id) {
    throw new UploadError(
      400,
      "bad_request",
      `architecture: required for a PyTorch or safetensors weight (one of ${ARCHITECTURE_IDS.join(", ")}).`,
    );
  }
  if (!ARCHITECTURE_IDS.includes(id)) {
    throw new UploadError(
      400,
      "unknown_architecture",
      `Unknown architecture "${id}"; known: ${ARCHITECTURE_IDS.join(", ")}.`,
    );
  }
  return getArchitecture(id);
}

/** The service's 422 for a state_dict its importer refused carries the whole report. */
function importRejection(error: InferenceRequestError): UploadError | undefined {
  const report = importReportSchema.safeParse(error.details);
  if (error.status !== 422 || !report.success) return undefined;
  // Written by @studio/core's importer in the service; the wire schema checked its shape.
  return new ImportRejectedError(report.data as ImportReport);
}

/**
 * Turns an uploaded `.pth` / `.pt` / `.safetensors` state_dict into the ONNX file that goes on
 * exactly like an uploaded ONNX. The inference service converts it in an isolated process (the
 * reader decides the container from the bytes; the declared format only supplies a file name
 * when the uploader gave none). The received file is always removed; a refused state_dict
 * throws ImportRejectedError and leaves nothing behind.
 */
export async function importStateDict(
  upload: ReceivedFile,
  input: { architecture: Architecture; fileName?: string; format?: ImportFormat },
  inference: InferenceClient,
): Promise<{ file: ReceivedFile; report: ImportReport }> {
  try {
    const fileName = isImportableName(input.fileName)
      ? (input.fileName as string)
      : `upload${input.format === "safetensors" ? ".safetensors" : ".pth"}`;
    const { file, response } = await convertInService(
      inference,
      {
        kind: "state_dict",
        path: relativeDataPath(upload.tmpPath),
        architecture: input.architecture.id,
        fileName,
        limits: { maxBytes: env().MAX_WEIGHT_BYTES },
      },
      importRejection,
    );
    return { file, report: response.report as ImportReport };
  } finally {
    await removeQuietly(upload.tmpPath);
  }
}
