import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { ARCHITECTURE_IDS, type Architecture, getArchitecture } from "@studio/core/architectures";
import { IMPORTABLE_EXTENSIONS, type ImportReport, importWeights } from "@studio/core/importers";
import { env } from "../env";
import {
  type ReceivedFile,
  randomName,
  removeQuietly,
  resolveDataPath,
  UploadError,
} from "./storage";

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

/**
 * Turns an uploaded `.pth` / `.pt` / `.safetensors` state_dict into the ONNX file that goes on
 * exactly like an uploaded ONNX. The reader decides the container from the bytes; the declared
 * format only supplies a file name when the uploader gave none. The received file is always
 * removed; a refused state_dict throws ImportRejectedError and leaves nothing behind.
 */
export async function importStateDict(
  upload: ReceivedFile,
  input: { architecture: Architecture; fileName?: string; format?: ImportFormat },
): Promise<{ file: ReceivedFile; report: ImportReport }> {
  try {
    const fileName = isImportableName(input.fileName)
      ? (input.fileName as string)
      : `upload${input.format === "safetensors" ? ".safetensors" : ".pth"}`;
    const bytes = new Uint8Array(await readFile(upload.tmpPath));
    // importWeights is synchronous and CPU-bound (a 31M-parameter U-Net takes seconds); uploads
    // are admin-only and rare, so it runs in the request rather than in a worker thread.
    const { onnx, report } = importWeights({
      bytes,
      fileName,
      architecture: input.architecture,
      maxBytes: env().MAX_WEIGHT_BYTES,
    });
    if (!onnx || report.verdict !== "accepted") throw new ImportRejectedError(report);
    const tmpPath = resolveDataPath(`tmp/${randomName()}.onnx.part`);
    await writeFile(tmpPath, onnx, { flag: "wx" });
    return {
      file: {
        tmpPath,
        size: onnx.byteLength,
        sha256: createHash("sha256").update(onnx).digest("hex"),
        head: Buffer.from(onnx.subarray(0, 64)),
      },
      report,
    };
  } finally {
    await removeQuietly(upload.tmpPath);
  }
}
