// What the product needs from a place that keeps bytes: uploads, dataset archives, weights,
// results and probability maps. Two implementations: local.ts (the data directory, the default)
// and s3.ts (any S3-compatible bucket). Both pass the same contract suite (store.test.ts).
import type { Readable } from "node:stream";

/**
 * Bytes to store: in memory, a stream (a request body), or a file already on this machine (a
 * temp file the upload handler wrote). A stream is consumed; a file is left where it is unless
 * `consume` is set: then the store may take the file itself (the local store renames it into
 * place instead of copying) and the caller must not use it afterwards.
 */
export type BlobSource = Uint8Array | Readable | { file: string; consume?: boolean };

export interface PutOptions {
  /** Kept by S3 (served back by `get`/`head`); the local directory does not keep it. */
  contentType?: string;
  /**
   * The number of bytes the source must hold. When it holds more or fewer, the put fails with
   * `integrity` and nothing is stored (e.g. a request body cut short).
   */
  size?: number;
  /** The sha256 (hex) the bytes must have; checked the same way. */
  sha256?: string;
}

export interface PutResult {
  key: string;
  size: number;
  /** sha256 of the stored bytes, hex. */
  sha256: string;
}

/** HTTP-style byte range: `end` inclusive, clamped to the object like a Range header. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface BlobInfo {
  key: string;
  size: number;
  /** Changes whenever the object changes (S3 ETag; size+mtime locally). */
  etag: string;
  lastModified: Date;
  contentType?: string;
}

export interface BlobBody {
  body: Readable;
  /** Size of the whole object. */
  size: number;
  /** Bytes in `body` (the range's length when a range was asked for). */
  length: number;
  /** The range served, `end` inclusive; absent for the whole object. */
  range?: { start: number; end: number };
  etag: string;
  contentType?: string;
}

export interface LocalCopy {
  size: number;
  sha256: string;
}

export interface BlobStore {
  readonly kind: "local" | "s3";
  /** Where the bytes go, for logs and status pages (a folder, or s3://bucket/prefix). */
  readonly description: string;

  /**
   * Stores the bytes under `key`, replacing any object there. All or nothing: a reader sees the
   * old object or the complete new one, and a failed put (source error, size or sha256
   * mismatch, store down) leaves no new object and no half-written parts.
   */
  put(key: string, source: BlobSource, options?: PutOptions): Promise<PutResult>;

  /** A stream of the object (or a range of it). Throws `not_found`, `invalid_range`. */
  get(key: string, options?: { range?: ByteRange }): Promise<BlobBody>;

  /** The whole object in memory; for small objects (an input image, a JSON report). */
  getBytes(key: string): Promise<Buffer>;

  /** Size and version of the object, or null when there is none. */
  head(key: string): Promise<BlobInfo | null>;

  exists(key: string): Promise<boolean>;

  /**
   * Gives an object a new key (a staged upload becomes a kept one): the old key is gone and the
   * new one holds the bytes whole, replacing any object there. Throws `not_found` when `from` is
   * missing. Local: a rename. S3: a server-side copy, then a delete (objects up to 5 GB).
   */
  move(from: string, to: string): Promise<void>;

  /** Removes the object; removing a missing key is not an error (as on S3). */
  delete(key: string): Promise<void>;

  /** Removes every object under a folder prefix (`results/<taskId>/`); returns how many. */
  deletePrefix(prefix: string): Promise<number>;

  /**
   * Every object whose key starts with `prefix`, in key order, fetched a page at a time (the
   * page size matters for S3 only).
   */
  list(prefix: string, options?: { pageSize?: number }): AsyncIterable<BlobInfo>;

  /**
   * Copies the object to a file on this machine (for onnxruntime, sharp). The file appears
   * complete or not at all; with `sha256`, bytes that do not match are refused (`integrity`) and
   * no file is left.
   */
  toLocalFile(key: string, file: string, options?: { sha256?: string }): Promise<LocalCopy>;

  /**
   * The object's own path when the store keeps objects as files on this machine (the local
   * store), so callers can read it in place instead of copying; null for remote stores.
   */
  localPath(key: string): string | null;

  /** Throws `unavailable` or `misconfigured` when the store cannot be used (for health checks). */
  check(): Promise<void>;

  /**
   * Removes what interrupted writes left behind (local temp files, pending S3 multipart uploads)
   * older than `olderThanMs`; returns how many. For the periodic cleanup job.
   */
  removeIncomplete(olderThanMs: number): Promise<number>;

  /** Releases connections. */
  close(): void;
}
