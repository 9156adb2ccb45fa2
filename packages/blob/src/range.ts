import { BlobError } from "./errors";
import type { ByteRange } from "./store";

/**
 * The inclusive byte range a request gets from an object of `size` bytes, as an HTTP server
 * answers a Range header: `end` is clamped to the last byte; a start past the end (or any range
 * of an empty object) cannot be satisfied.
 */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  const { start } = range;
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (!Number.isSafeInteger(start) || start < 0 || (range.end !== undefined && range.end < start)) {
    throw new BlobError(
      "invalid_range",
      `The byte range ${start}-${range.end ?? ""} is not valid.`,
    );
  }
  if (start >= size) {
    throw new BlobError(
      "invalid_range",
      `The byte range starts at ${start} but the file has only ${size} bytes.`,
    );
  }
  return { start, end };
}
