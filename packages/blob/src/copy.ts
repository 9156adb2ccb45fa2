// Copies an installation's shared objects from one store to another (`pnpm blob:copy`: the data
// directory into the S3 bucket a scale-out will use). Keys stay as they are, because the rows
// name objects by key. Only what must be shared is copied: renditions are made again on demand,
// incoming/ is staging, official/ is fetched by each node, tmp/ and cache/ are a machine's own.
// Idempotent: an object the target already holds at the same size is skipped, so a copy that
// stopped half-way is finished by running it again.
import { BlobError } from "./errors";
import { assertPrefix, sha256FromKey } from "./keys";
import type { BlobInfo, BlobStore } from "./store";

/** What a move to shared storage carries over: originals and dataset images, weights, results. */
export const DEFAULT_COPY_PREFIXES: readonly string[] = ["uploads/", "weights/", "results/"];

export interface BlobCopyProgress {
  prefix: string;
  /** Objects of this prefix copied so far. */
  copied: number;
  /** Objects of this prefix found already in the target (same size) and left as they are. */
  skipped: number;
  /**
   * Objects under the prefix, when known. Left out here: the source is listed a page at a time,
   * and counting first would list (and, locally, stat) every object twice.
   */
  total?: number;
}

export interface BlobCopyCount {
  prefix: string;
  copied: number;
  skipped: number;
  /** Bytes copied (skipped objects not included). */
  bytes: number;
}

export interface BlobCopyOptions {
  /** Key prefixes to copy, in this order (default DEFAULT_COPY_PREFIXES). */
  prefixes?: readonly string[];
  /** Called after every object copied or skipped. */
  onProgress?(progress: BlobCopyProgress): void;
  /**
   * Objects copied at once (default 4). S3 is bound by round trips, not bandwidth, for the many
   * small files of an installation; each upload holds up to partSize x queueSize in memory.
   */
  concurrency?: number;
}

/** A copy stopped at `key`; `counts` says what was done before it (and stays done). */
export class BlobCopyError extends Error {
  override readonly name = "BlobCopyError";
  constructor(
    readonly key: string,
    readonly counts: BlobCopyCount[],
    cause: unknown,
  ) {
    const reason = (cause as Error | undefined)?.message ?? String(cause);
    super(
      `Copying "${key}" failed: ${/[.!?]$/.test(reason) ? reason : `${reason}.`} ` +
        "Objects copied before it stay in the target; run the copy again to finish it " +
        "(objects already there are skipped).",
      { cause },
    );
  }
}

/** Key order of BlobStore.list (UTF-8 bytes, as S3 lists). */
const compareKeys = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Each source object with its namesake in the target, if any, by walking both listings side by
 * side (both are in key order): one list request per page instead of a HEAD per object, which
 * is what makes a re-run over a big installation cheap. Were the two orders ever to disagree,
 * an object would only be copied again, never wrongly skipped (a skip needs the same key).
 */
async function* pairWithTarget(
  source: AsyncIterable<BlobInfo>,
  target: AsyncIterable<BlobInfo>,
): AsyncGenerator<{ object: BlobInfo; present: BlobInfo | null }> {
  const inTarget = target[Symbol.asyncIterator]();
  let next = await inTarget.next();
  try {
    for await (const object of source) {
      while (!next.done && compareKeys(next.value.key, object.key) < 0) {
        next = await inTarget.next();
      }
      const present = !next.done && next.value.key === object.key ? next.value : null;
      yield { object, present };
    }
  } finally {
    await inTarget.return?.();
  }
}

/**
 * Streams one object across and checks what arrived. Size always: the put refuses a stream
 * that ends early or runs long, and the target's own record of the object must then match.
 * sha256 only for keys that name theirs (weights/<sha256>.onnx): the put hashes what it sends
 * and refuses a mismatch, storing nothing. For other keys neither store can name a sha256
 * cheaply (a local file has none on record; an S3 ETag is not one), so checking would cost a
 * second full read of the source to compare with a hash of the very bytes the put just sent.
 */
async function copyObject(from: BlobStore, to: BlobStore, key: string): Promise<number> {
  const source = await from.get(key);
  const sha256 = sha256FromKey(key) ?? undefined;
  let put: { size: number };
  try {
    put = await to.put(key, source.body, {
      size: source.size,
      ...(sha256 ? { sha256 } : {}),
      ...(source.contentType ? { contentType: source.contentType } : {}),
    });
  } finally {
    // Releases the source file or connection when the put gave up before reading it all.
    source.body.destroy();
  }
  const stored = await to.head(key);
  if (stored?.size !== source.size || put.size !== source.size) {
    // A wrong object under a key the rows name is worse than none: the next run copies it anew.
    await to.delete(key).catch(() => {});
    throw new BlobError(
      "integrity",
      `The target holds ${stored?.size ?? "no"} bytes after the copy but the source has ${source.size}.`,
    );
  }
  return source.size;
}

/**
 * Copies every object under `prefixes` from `from` to `to` under the same key and returns
 * per-prefix counts. Never writes to `from`. Throws BlobCopyError naming the first object that
 * failed, after the copies already under way have finished.
 */
export async function copyBlobs(
  from: BlobStore,
  to: BlobStore,
  options: BlobCopyOptions = {},
): Promise<BlobCopyCount[]> {
  const prefixes = options.prefixes ?? DEFAULT_COPY_PREFIXES;
  for (const prefix of prefixes) assertPrefix(prefix);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const counts: BlobCopyCount[] = [];
  for (const prefix of prefixes) {
    const count: BlobCopyCount = { prefix, copied: 0, skipped: 0, bytes: 0 };
    counts.push(count);
    // An async generator queues concurrent next() calls, so the workers share it safely.
    const pending = pairWithTarget(from.list(prefix), to.list(prefix));
    let failure: BlobCopyError | undefined;
    const worker = async () => {
      while (!failure) {
        let item: IteratorResult<{ object: BlobInfo; present: BlobInfo | null }>;
        try {
          item = await pending.next();
        } catch (error) {
          // Listing failed: name the prefix, the only "key" there is.
          failure ??= new BlobCopyError(prefix, counts, error);
          return;
        }
        if (item.done) return;
        const { object, present } = item.value;
        try {
          if (present?.size === object.size) {
            count.skipped++;
          } else {
            // Awaited first: `count.bytes += await ...` would read the sum before the wait and
            // lose what other workers added meanwhile.
            const bytes = await copyObject(from, to, object.key);
            count.bytes += bytes;
            count.copied++;
          }
        } catch (error) {
          failure ??= new BlobCopyError(object.key, counts, error);
          return;
        }
        options.onProgress?.({ prefix, copied: count.copied, skipped: count.skipped });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (failure) {
      await pending.return(undefined).catch(() => {});
      throw failure;
    }
  }
  return counts;
}
