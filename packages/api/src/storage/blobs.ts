// Where this process keeps the bytes it shares with the inference nodes (originals, weights,
// results, renditions): the blob store of its environment (BLOB_STORE=local, the data
// directory, by default; or an S3 bucket). Keys are the paths the rows store (uploads/...,
// weights/<sha256>.onnx, results/<taskId>/...). What stays on this machine (tmp/, official/)
// is not in here: see files.ts.
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createBlobStore } from "@studio/blob/create";
import { LocalBlobStore } from "@studio/blob/local";
import type { BlobStore } from "@studio/blob/store";
import { INCOMING_PREFIX } from "@studio/contracts/inference/store-key";
import { type ApiEnv, env } from "../env";
import type { ReceivedFile } from "./files";

export type { BlobStore };

let shared: { store: BlobStore; for: ApiEnv } | undefined;

/**
 * The process's blob store. It follows the environment object, so a test that points DATA_DIR
 * (or BLOB_STORE) elsewhere and resets the env gets a store for the new place.
 */
export function blobStore(): BlobStore {
  const current = env();
  if (shared?.for !== current) {
    shared?.store.close();
    shared = { store: createBlobStore(current.blob), for: current };
  }
  return shared.store;
}

let local: { store: LocalBlobStore; root: string } | undefined;

/**
 * This machine's data directory read like a store: the official/ models every machine fetches
 * at setup are served from here with the same code (ranges, errors) as stored objects.
 */
export function localFiles(): LocalBlobStore {
  const root = env().DATA_DIR;
  if (local?.root !== root) local = { store: new LocalBlobStore(root), root };
  return local.store;
}

/** A fresh key under incoming/ for something handed to a node; `ext` with its dot, or "". */
export const incomingKey = (ext = "") =>
  `${INCOMING_PREFIX}${randomBytes(16).toString("hex")}${ext}`;

/** An object in the store with what the upload handler measured of it. */
export interface StoredFile {
  key: string;
  size: number;
  /** Hex. */
  sha256: string;
}

/**
 * Hands a received temp file to the store under incoming/<random><ext> (the local store renames
 * it; S3 uploads it), checked against the size and sha256 measured while it arrived (when
 * given). The temp file is gone afterwards whether or not this succeeds.
 */
export async function stageFile(
  file: Pick<ReceivedFile, "tmpPath"> & Partial<Pick<ReceivedFile, "size" | "sha256">>,
  ext = "",
): Promise<StoredFile> {
  const key = incomingKey(ext);
  try {
    const put = await blobStore().put(
      key,
      { file: file.tmpPath, consume: true },
      {
        ...(file.size === undefined ? {} : { size: file.size }),
        ...(file.sha256 ? { sha256: file.sha256 } : {}),
      },
    );
    return { key, size: put.size, sha256: put.sha256 };
  } finally {
    await rm(file.tmpPath, { force: true });
  }
}

/** Requests to the store at once when many objects go (a dataset's images, an archive's). */
export const STORE_CONCURRENCY = 8;

/**
 * Runs `task` for every item, at most `limit` at a time, and settles when all have. Small
 * enough not to warrant a dependency (this package has no pool library); the first failure is
 * rethrown once every started task has settled, so nothing runs on behind the caller's back.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/**
 * Removes objects after their rows are gone (or a failed upload), best effort: a failure is
 * logged and left to the cleanup job, which removes objects no row names.
 */
export async function deleteBlobsQuietly(...keys: Array<string | null | undefined>) {
  const store = blobStore();
  const unique = [...new Set(keys.filter((key): key is string => Boolean(key)))];
  await forEachLimited(unique, STORE_CONCURRENCY, async (key) => {
    try {
      await store.delete(key);
    } catch (error) {
      console.warn(`could not delete stored object ${key}; the cleanup job will`, error);
    }
  });
}

/** Removes every object under folder prefixes (`results/<taskId>/`), best effort like above. */
export async function deleteBlobFoldersQuietly(...prefixes: string[]) {
  const store = blobStore();
  await Promise.all(
    prefixes.map(async (prefix) => {
      try {
        await store.deletePrefix(prefix);
      } catch (error) {
        console.warn(
          `could not delete stored objects under ${prefix}; the cleanup job will`,
          error,
        );
      }
    }),
  );
}
