// The Range header of a download (RFC 9110 §14): one range of bytes, so players and download
// managers can seek and resume. Hand-written because only this one form is served and the
// usual parser (range-parser) is not a dependency here; several ranges, other units or a
// malformed header are ignored (the whole file is served), as the RFC allows.

export type RequestedRange =
  /** `bytes=START-` or `bytes=START-END` (END inclusive). */
  | { start: number; end?: number }
  /** `bytes=-N`: the last N bytes. */
  | { suffix: number };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

/**
 * The range a request asks for, or null for the whole file. An `If-Range` that is not the
 * file's current `etag` also means the whole file (the client's partial copy is stale).
 */
export function requestedRange(request: Request, etag?: string): RequestedRange | null {
  const header = request.headers.get("range")?.trim();
  if (!header) return null;
  const ifRange = request.headers.get("if-range")?.trim();
  if (ifRange && ifRange !== etag) return null;
  const match = SINGLE.exec(header.replace(/\s+/g, ""));
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") return { suffix: Number(last) };
  const start = Number(first);
  if (last === "") return { start };
  const end = Number(last);
  if (end < start || !Number.isSafeInteger(end)) return null;
  return { start, end };
}
