/** Why an archive was refused; each package maps it to its own error type and status. */
export type ZipErrorCode =
  | "not_zip"
  | "truncated"
  | "corrupt"
  | "unsafe_name"
  | "unsupported"
  | "too_many_entries"
  | "too_large";

export class ZipError extends Error {
  constructor(
    readonly code: ZipErrorCode,
    message: string,
    /** What the zip library or zlib reported, for logs; never shown to users. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ZipError";
  }
}
