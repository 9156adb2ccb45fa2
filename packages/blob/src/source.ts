// Turns what a caller hands to `put` into one stream that counts and hashes the bytes on the
// way through and fails at the end if they are not what the caller promised, so a back-end only
// has to make "the stream failed" mean "nothing stored".
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { PassThrough, pipeline, Readable, Transform } from "node:stream";
import { BlobError } from "./errors";
import type { BlobSource, PutOptions } from "./store";

export interface Metered {
  stream: Readable;
  /** Size and sha256 of what went through; complete once `stream` has ended. */
  digest(): { size: number; sha256: string };
  /**
   * The error the source itself failed with, if it did. Back-ends rethrow it unchanged rather
   * than blaming the store: a caller's stream may fail on purpose (an upload over its limit).
   */
  sourceError(): unknown;
}

const sizeMismatch = (actual: number, expected: number) =>
  new BlobError(
    "integrity",
    `The data holds ${actual} bytes but ${expected} were expected; nothing was stored.`,
  );

const hashMismatch = () =>
  new BlobError("integrity", "The data does not match its expected sha256; nothing was stored.");

/** Checks in-memory bytes against the promises; returns their digest. */
export function digestBytes(bytes: Uint8Array, expect: PutOptions = {}) {
  if (expect.size !== undefined && bytes.byteLength !== expect.size) {
    throw sizeMismatch(bytes.byteLength, expect.size);
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (expect.sha256 !== undefined && sha256 !== expect.sha256.toLowerCase()) throw hashMismatch();
  return { size: bytes.byteLength, sha256 };
}

const unreadable = (error: unknown) =>
  new BlobError("failed", "The file to store could not be read.", { cause: error });

/** A readable over the source; a file is opened now so a missing file fails before any write. */
export async function openSource(source: Exclude<BlobSource, Uint8Array>): Promise<Readable> {
  if (source instanceof Readable) return source;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(source.file, "r");
  } catch (error) {
    throw unreadable(error);
  }
  // A read error of our own file is reported in the store's terms.
  const file = handle.createReadStream();
  const out = new PassThrough();
  file.on("error", (error) => out.destroy(unreadable(error)));
  out.on("close", () => file.destroy());
  return file.pipe(out);
}

/** Pipes `input` through a counter and hasher that errors when the promises are broken. */
export function meter(input: Readable, expect: PutOptions = {}): Metered {
  const hash = createHash("sha256");
  let size = 0;
  let sha256: string | undefined;
  let sourceError: unknown;
  input.once("error", (error) => {
    sourceError ??= error;
  });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.byteLength;
      // Fail as soon as it is too long rather than after storing the surplus.
      if (expect.size !== undefined && size > expect.size) {
        callback(sizeMismatch(size, expect.size));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (expect.size !== undefined && size !== expect.size) {
        callback(sizeMismatch(size, expect.size));
        return;
      }
      sha256 = hash.digest("hex");
      if (expect.sha256 !== undefined && sha256 !== expect.sha256.toLowerCase()) {
        callback(hashMismatch());
        return;
      }
      callback();
    },
  });
  // pipeline forwards an error of `input` to `counter` (so the consumer sees it) and destroys
  // `input` when the consumer gives up on `counter`.
  pipeline(input, counter, () => {});
  return {
    stream: counter,
    digest() {
      if (sha256 === undefined) throw new Error("digest read before the stream ended");
      return { size, sha256 };
    },
    sourceError: () => sourceError,
  };
}
