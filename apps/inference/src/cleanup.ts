// Deletes bytes nobody uses any more, once they have not been touched for the maximum age:
// this node's temporary files (DATA_DIR/tmp, always local), and in the blob store staged
// uploads a request never cleaned up (incoming/), uploads and results no row records
// (interrupted uploads and attempts, deleted tasks), display renditions (a cache, made again on
// the next view) and what interrupted writes left (store.removeIncomplete). An object that a
// live row references (an image, a task result) is never deleted; weights/, official/, logs/
// and the node's caches are never touched. Every node may run it against a shared store: each
// deletion stands alone, and deleting what another node just deleted is no error.
import { readdir, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { RENDITIONS_PREFIX } from "@studio/contracts/inference/rendition";
import { INCOMING_PREFIX } from "@studio/contracts/inference/store-key";
import type { Db } from "@studio/db/client";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";
import type { NodeFiles } from "./node-files";

export interface CleanupReport {
  deletedFiles: number;
  freedBytes: number;
  keptReferenced: number;
  removedDirs: number;
  byArea: Record<string, { files: number; bytes: number }>;
  ms: number;
}

/** Areas of the blob store the job looks through; what a row may reference is kept. */
const STORE_AREAS = [INCOMING_PREFIX, "uploads/", "results/", RENDITIONS_PREFIX] as const;

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

/** Every path (relative to DATA_DIR) that a row in the store points at. */
async function referencedPaths(db: Db): Promise<Set<string>> {
  const refs = new Set<string>();
  const page = 5000;
  for (let cursor: string | undefined; ; ) {
    const images = await db.image.findMany({
      select: { id: true, storagePath: true },
      orderBy: { id: "asc" },
      take: page,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    for (const image of images) refs.add(normalise(image.storagePath));
    if (images.length < page) break;
    cursor = images.at(-1)?.id;
  }
  for (let cursor: string | undefined; ; ) {
    const items = await db.taskItem.findMany({
      where: { OR: [{ resultPath: { not: null } }, { resultMeta: { not: null } }] },
      select: { id: true, resultPath: true, resultMeta: true },
      orderBy: { id: "asc" },
      take: page,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    for (const item of items) {
      if (item.resultPath) refs.add(normalise(item.resultPath));
      for (const p of pathsInMeta(item.resultMeta)) refs.add(normalise(p));
    }
    if (items.length < page) break;
    cursor = items.at(-1)?.id;
  }
  return refs;
}

function pathsInMeta(meta: string | null): string[] {
  if (!meta) return [];
  try {
    const value = JSON.parse(meta) as Record<string, unknown>;
    return Object.entries(value)
      .filter(([k, v]) => /path$/i.test(k) && typeof v === "string")
      .map(([, v]) => v as string);
  } catch {
    return [];
  }
}

function normalise(p: string): string {
  return p
    .split(/[\\/]+/)
    .filter(Boolean)
    .join("/");
}

/** Empty folders whose contents last changed before `cutoff` (a fresh one may be about to fill). */
async function removeEmptyDirs(dir: string, keepRoot: boolean, cutoff: number): Promise<number> {
  let removed = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory())
      removed += await removeEmptyDirs(path.join(dir, entry.name), false, cutoff);
  }
  if (keepRoot) return removed;
  const info = await stat(dir).catch(() => undefined);
  // Deleting files just now touched the folder's mtime; its age is judged before this pass.
  if (info && info.birthtimeMs > cutoff) return removed;
  if ((await readdir(dir).catch(() => ["?"])).length === 0) {
    await rmdir(dir).then(
      () => removed++,
      () => {},
    );
  }
  return removed;
}

/**
 * One cleanup pass. Candidates: every file under this node's tmp/; every object under the
 * store's incoming/, uploads/, results/ and renditions/. Each is deleted only if no row
 * references it and it was neither modified (nor, in the local store, read) for `maxAgeMs`.
 * Then the store removes what interrupted writes left that long ago.
 */
export async function runCleanup(args: {
  files: NodeFiles;
  db: Db;
  maxAgeMs: number;
  now?: Date;
}): Promise<CleanupReport> {
  const started = performance.now();
  const { files } = args;
  const cutoff = (args.now ?? new Date()).getTime() - args.maxAgeMs;
  const refs = await referencedPaths(args.db);
  const report: CleanupReport = {
    deletedFiles: 0,
    freedBytes: 0,
    keptReferenced: 0,
    removedDirs: 0,
    byArea: {},
    ms: 0,
  };
  const count = (area: string, files: number, bytes: number) => {
    report.deletedFiles += files;
    report.freedBytes += bytes;
    const a = report.byArea[area] ?? { files: 0, bytes: 0 };
    report.byArea[area] = a;
    a.files += files;
    a.bytes += bytes;
  };

  // This node's temp files: never in the store, never referenced.
  const tmpRoot = path.join(files.dataDir, "tmp");
  for await (const file of walk(tmpRoot)) {
    const info = await stat(file).catch(() => undefined);
    if (!info || Math.max(info.mtimeMs, info.atimeMs) > cutoff) continue;
    try {
      await unlink(file);
    } catch {
      continue;
    }
    count("tmp", 1, info.size);
  }
  report.removedDirs += await removeEmptyDirs(tmpRoot, true, cutoff);

  for (const prefix of STORE_AREAS) {
    const area = prefix.slice(0, -1);
    for await (const object of files.store.list(prefix)) {
      if (refs.has(object.key)) {
        report.keptReferenced++;
        continue;
      }
      if ((await lastUsed(files, object.key, object.lastModified)) > cutoff) continue;
      // A store that stops answering fails the pass; the next one carries on.
      await files.store.delete(object.key);
      count(area, 1, object.size);
    }
    // The local store's empty folders (S3 has none).
    const folder = files.store.localPath(`${prefix}x`);
    if (folder) report.removedDirs += await removeEmptyDirs(path.dirname(folder), true, cutoff);
  }

  const incomplete = await files.store.removeIncomplete(args.maxAgeMs);
  if (incomplete > 0) count("incomplete", incomplete, 0);
  report.ms = Math.round(performance.now() - started);
  return report;
}

/**
 * When an object was last used: its modification time, or in the local store also its last
 * read (a rendition still viewed every day is kept), as the job has always judged files.
 */
async function lastUsed(files: NodeFiles, key: string, modified: Date): Promise<number> {
  const own = files.store.localPath(key);
  if (!own) return modified.getTime();
  const info = await stat(own).catch(() => undefined);
  return Math.max(modified.getTime(), info?.atimeMs ?? 0);
}

/** Runs `runCleanup` every `intervalMs` (first pass shortly after start); returns a stopper. */
export function startCleanup(args: {
  files: NodeFiles;
  db: Db;
  maxAgeMs: number;
  intervalMs: number;
  logger: Logger;
  metrics?: Metrics;
}): { stop: () => Promise<void>; runNow: () => Promise<CleanupReport | undefined> } {
  const log = args.logger.child({ component: "cleanup" });
  let current: Promise<CleanupReport | undefined> | undefined;
  const pass = () => {
    current ??= runCleanup(args)
      .then((report) => {
        args.metrics?.cleanupFreed.inc(report.freedBytes);
        log.info(
          report,
          report.deletedFiles > 0 ? "cleanup freed files" : "cleanup found nothing to free",
        );
        return report;
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "cleanup failed");
        return undefined;
      })
      .finally(() => {
        current = undefined;
      });
    return current;
  };
  const first = setTimeout(pass, Math.min(60_000, args.intervalMs));
  const timer = setInterval(pass, args.intervalMs);
  first.unref();
  timer.unref();
  return {
    runNow: pass,
    stop: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await current;
    },
  };
}
