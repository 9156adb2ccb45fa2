// The one error every blob store and the cache throw. Messages are written for the person who
// will read them (an operator or, through the api, a user); SDK and file-system details stay in
// `cause` for the logs.

export type BlobErrorCode =
  /** No object under that key. */
  | "not_found"
  /** The key (or prefix) breaks the key rules in keys.ts. */
  | "invalid_key"
  /** The requested byte range lies outside the object. */
  | "invalid_range"
  /** The store cannot be reached now (down, network, timeout, overloaded): try again later. */
  | "unavailable"
  /** The store answers but refuses us: missing bucket, wrong credentials, no permission. */
  | "misconfigured"
  /** The disk or bucket has no room, or the object is larger than the store allows. */
  | "storage_full"
  /** Bytes differ from what was promised (size or sha256): nothing was kept. */
  | "integrity"
  /** Anything else; `cause` holds the original error. */
  | "failed";

export class BlobError extends Error {
  override readonly name = "BlobError";
  constructor(
    readonly code: BlobErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isBlobError = (error: unknown, code?: BlobErrorCode): error is BlobError =>
  error instanceof BlobError && (code === undefined || error.code === code);
