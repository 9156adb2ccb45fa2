import { randomUUID } from "node:crypto";
import { mkdir, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BlobStore } from "@studio/blob/store";
import type { ReadyResponse } from "@studio/contracts/inference/system";
import { ortInfo } from "../ort";

export interface ReadinessDeps {
  dataDir: string;
  /** Resolves when the store answers a trivial query. */
  pingStore: () => Promise<void>;
  /** Where bytes live (uploads, weights, results): checked with its own health check. */
  blobStore: Pick<BlobStore, "kind" | "description" | "check">;
}

async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ok: boolean; ms: number; message?: string; value?: T }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { ok: true, ms: Math.round(performance.now() - start), value };
  } catch (error) {
    return {
      ok: false,
      ms: Math.round(performance.now() - start),
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

/**
 * Can the service do work: store reachable, blob store reachable, DATA_DIR writable (temp files
 * and caches stay on this node), onnxruntime loaded.
 */
export async function checkReadiness(deps: ReadinessDeps): Promise<ReadyResponse> {
  const [store, blob, dataDir, ort] = await Promise.all([
    timed(deps.pingStore),
    timed(() => deps.blobStore.check()),
    timed(async () => {
      const dir = path.join(deps.dataDir, "tmp");
      await mkdir(dir, { recursive: true });
      const probe = path.join(dir, `.ready-${randomUUID()}`);
      await writeFile(probe, "ok");
      await unlink(probe);
    }),
    timed(ortInfo),
  ]);
  return {
    ready: store.ok && blob.ok && dataDir.ok && ort.ok,
    checks: {
      store: { ok: store.ok, ms: store.ms, ...(store.message ? { message: store.message } : {}) },
      blobStore: {
        ok: blob.ok,
        ms: blob.ms,
        kind: deps.blobStore.kind,
        description: deps.blobStore.description,
        ...(blob.message ? { message: blob.message } : {}),
      },
      dataDir: {
        ok: dataDir.ok,
        ms: dataDir.ms,
        path: deps.dataDir,
        ...(dataDir.message ? { message: dataDir.message } : {}),
      },
      onnxruntime: {
        ok: ort.ok,
        ms: ort.ms,
        providers: ort.value?.providers ?? [],
        ...(ort.value ? { version: ort.value.version } : {}),
        ...(ort.message ? { message: ort.message } : {}),
      },
    },
  };
}
