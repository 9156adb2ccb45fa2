/**
 * Every problem found in an uploaded weight file is an ImportError with a stable code, so the
 * API can store it and the UI can show the message as is.
 */
export type ImportErrorCode =
  | "too_large"
  | "unknown_format"
  | "bad_header"
  | "bad_tensor"
  | "overlap"
  | "truncated"
  | "bad_archive"
  | "bad_pickle"
  | "forbidden_global"
  | "not_a_state_dict"
  | "unsupported";

export class ImportError extends Error {
  readonly code: ImportErrorCode;

  constructor(code: ImportErrorCode, message: string) {
    super(message);
    this.name = "ImportError";
    this.code = code;
  }
}

export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;

export function checkSize(byteLength: number, maxBytes: number, what: string): void {
  if (byteLength > maxBytes) {
    throw new ImportError(
      "too_large",
      `${what} is ${byteLength} bytes, larger than the cap of ${maxBytes} bytes (${(maxBytes / 1024 / 1024).toFixed(0)} MB)`,
    );
  }
}
