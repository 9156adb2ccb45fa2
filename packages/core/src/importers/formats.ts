// `@studio/core/importers/formats`: which uploads the state_dict importer takes and its size cap,
// without the importer itself (it builds ONNX graphs), so the API can route an upload to the
// inference service's conversion by its name alone.
export { DEFAULT_MAX_BYTES, type ImportErrorCode } from "./errors";

export type WeightFormat = "safetensors" | "pytorch";

export const IMPORTABLE_EXTENSIONS = [".pth", ".pt", ".safetensors"] as const;

/** Whether a file name ends in an importable extension (.pth, .pt, .safetensors; any case). */
export function isImportableFileName(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return IMPORTABLE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}
