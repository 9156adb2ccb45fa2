// Deletes files nobody uses any more: temporary and preview files, orphaned upload chunks,
// results left by interrupted attempts and display renditions (a cache, made again on the next
// view), once they have not been touched for the maximum age. A file that a live row
// references (an image, a task result) is never deleted.
import { readdir, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { Db } from "@studio/db/client";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";

export interface CleanupReport {
  deletedFiles: number;
  freedBytes: number;
  keptReferenced: number;
  removedDirs: number;
  byArea: Record<string, { files: number; bytes: number }>;
  ms: number;
}

/** Names an upload handler gives to unfinished parts (or folders that hold them). */
const CHUNK_FILE = /\.(part|partial|chunk\d*|tmp|upload)$/i;
const CHUNK_DIRS = new Set(["tmp", ".tmp", "chunks", ".chunks", "partial", ".partial", "incoming"]);

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
 * One cleanup pass. Candidates: everything under tmp/; files under uploads/ that are upload
 * chunks (by name or folder); files under results/ (interrupted attempts, deleted tasks);
 * everything under renditions/ (cached display copies, also those of deleted images).
 * Each is deleted only if no row references it and it was neither modified nor read for
 * `maxAgeMs`. weights/, official/ and logs/ are never touched.
 */
export async function runCleanup(args: {
  dataDir: string;
  db: Db;
  maxAgeMs: number;
  now?: Date;
}): Promise<CleanupReport> {
  const started = performance.now();
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
  const areas: Array<{ area: string; candidate: (rel: string) => boolean }> = [
    { area: "tmp", candidate: () => true },
    {
      area: "uploads",
      candidate: (rel) => {
        const parts = rel.split("/").slice(1, -1);
        return CHUNK_FILE.test(rel) || parts.some((p) => CHUNK_DIRS.has(p.toLowerCase()));
      },
    },
    { area: "results", candidate: () => true },
    { area: "renditions", candidate: () => true },
  ];
  for (const { area, candidate } of areas) {
    const root = path.join(args.dataDir, area);
    for await (const file of walk(root)) {
      const rel = normalise(path.relative(args.dataDir, file));
      if (!candidate(rel)) continue;
      if (refs.has(rel)) {
        report.keptReferenced++;
        continue;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info) continue;
      const lastUsed = Math.max(info.mtimeMs, info.atimeMs);
      if (lastUsed > cutoff) continue;
      try {
        await unlink(file);
      } catch {
        continue;
      }
      report.deletedFiles++;
      report.freedBytes += info.size;
      const a = report.byArea[area] ?? { files: 0, bytes: 0 };
      report.byArea[area] = a;
      a.files++;
      a.bytes += info.size;
    }
    report.removedDirs += await removeEmptyDirs(root, true, cutoff);
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** Runs `runCleanup` every `intervalMs` (first pass shortly after start); returns a stopper. */
export function startCleanup(args: {
  dataDir: string;
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
