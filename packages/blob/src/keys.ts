// Key rules shared by every back-end. A key is what the store records (`uploads/<name>`,
// `weights/<sha256>.onnx`, `results/<taskId>/<file>`): relative, `/`-separated, and safe both
// as a path under the data directory and as an S3 object name, so a key that works locally
// works on S3 and can never name anything outside the store.
import { BlobError } from "./errors";

/** S3 allows 1024 bytes per object name; keep room for S3_PREFIX. */
export const MAX_KEY_BYTES = 768;
/** NAME_MAX of common file systems, since each segment becomes a file or folder name locally. */
export const MAX_SEGMENT_BYTES = 255;
/**
 * Names the local store gives files while they are being written; reserved so a key can never
 * collide with (or list) a half-written file.
 */
export const TEMP_MARKER = ".blob-tmp-";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

function problem(value: string, allowPartialEnd: boolean): string | null {
  if (Buffer.byteLength(value) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  if (value.startsWith("/")) return "starts with / (keys are relative)";
  if (value.includes("\\")) return "contains a backslash";
  if (CONTROL.test(value)) return "contains a control character";
  const segments = value.split("/");
  // A prefix may end with "/" (a folder) or in the middle of a name.
  if (allowPartialEnd && segments.at(-1) === "") segments.pop();
  for (const segment of segments) {
    if (segment === "") return "has an empty path segment (// or a trailing /)";
    if (segment === "." || segment === "..") return `has a "${segment}" segment`;
    if (segment.startsWith(TEMP_MARKER)) return `has a segment starting with ${TEMP_MARKER}`;
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      return `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
    }
  }
  return null;
}

const shown = (value: string) =>
  JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/** Returns the key, or throws `invalid_key` saying what is wrong with it. */
export function assertKey(key: string): string {
  if (typeof key !== "string" || key === "") {
    throw new BlobError("invalid_key", "A storage key must not be empty.");
  }
  const why = problem(key, false);
  if (why) throw new BlobError("invalid_key", `The storage key ${shown(key)} ${why}.`);
  return key;
}

/** A listing prefix: "" (everything) or the start of a key. */
export function assertPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  const why = problem(prefix, true);
  if (why) throw new BlobError("invalid_key", `The storage prefix ${shown(prefix)} ${why}.`);
  return prefix;
}

/**
 * A prefix whose objects may be deleted together. It must name a folder (end with "/"): a
 * bare "results/ab" would also take "results/abc/…", and "" would empty the whole store.
 */
export function assertFolderPrefix(prefix: string): string {
  assertPrefix(prefix);
  if (!prefix.endsWith("/")) {
    throw new BlobError(
      "invalid_key",
      `Only a folder can be deleted as a whole; ${shown(prefix)} must be non-empty and end with "/".`,
    );
  }
  return prefix;
}

// One extension at most: `<sha256>.int8.onnx` is derived from the weight, not its bytes.
const SHA256_NAME = /^([0-9a-f]{64})(?:\.[A-Za-z0-9]+)?$/;

/**
 * The sha256 a key promises, if its file name starts with 64 hex digits (`weights/<sha256>.onnx`);
 * content-addressed objects can then be checked wherever they are fetched.
 */
export function sha256FromKey(key: string): string | null {
  const name = key.slice(key.lastIndexOf("/") + 1);
  return SHA256_NAME.exec(name)?.[1] ?? null;
}
