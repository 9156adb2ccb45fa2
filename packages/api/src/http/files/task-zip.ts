// What goes into a task's zip, and under which names: every output of every finished item
// (main file first, then probability map, overlay ...), in the dataset's folders when the task
// ran on a dataset (`cats/a.jpg` -> `cats/a_x4.png`), at the top otherwise.
import path from "node:path";
import type { Db } from "../../db";
import { parseJson } from "../../services/json";
import {
  mainOutput,
  resultFileName,
  safeFileName,
  safeFolder,
  UniqueNames,
  variantOutput,
} from "./download-names";

export interface TaskZipEntry {
  /** Name inside the zip (forward slashes). */
  name: string;
  /** The file's key in the blob store. */
  key: string;
}

/** The model's scale for a result name: as the worker recorded it, else the weight's spec. */
export function resultScale(
  meta: Record<string, unknown>,
  weightSpec: string | null | undefined,
): number | null {
  if (typeof meta.scale === "number") return meta.scale;
  const spec = parseJson<{ scale?: unknown }>(weightSpec, {});
  return typeof spec.scale === "number" ? spec.scale : null;
}

export async function taskZipEntries(db: Db, taskId: string): Promise<TaskZipEntry[]> {
  const task = await db.task.findUnique({
    where: { id: taskId },
    select: {
      taskKind: true,
      datasetId: true,
      name: true,
      weight: { select: { spec: true, name: true } },
      team: { select: { resultNamePattern: true } },
    },
  });
  // Deleted since the caller found it: nothing to zip.
  if (!task) return [];
  const items = await db.taskItem.findMany({
    where: { taskId, status: "succeeded", resultPath: { not: null } },
    orderBy: { position: "asc" },
    select: {
      imageId: true,
      position: true,
      resultPath: true,
      resultMeta: true,
      image: { select: { originalName: true } },
    },
  });
  // Where each image sits in the task's dataset (a join, so no list of ids as parameters).
  const folders = new Map<string, string>();
  if (task.datasetId) {
    const links = await db.datasetImage.findMany({
      where: { datasetId: task.datasetId, image: { taskItems: { some: { taskId } } } },
      select: { imageId: true, relativePath: true },
    });
    for (const link of links) folders.set(link.imageId, link.relativePath);
  }

  const names = new UniqueNames();
  const entries: TaskZipEntry[] = [];
  for (const item of items) {
    const main = item.resultPath as string;
    const meta = parseJson<Record<string, unknown>>(item.resultMeta, {});
    const relativePath = folders.get(item.imageId);
    const folder = relativePath ? safeFolder(relativePath) : "";
    const original = relativePath ? path.posix.basename(relativePath) : item.image.originalName;
    const scale = resultScale(meta, task.weight?.spec);
    const add = (key: string, output: string) => {
      const file = resultFileName(
        original,
        {
          taskKind: task.taskKind,
          scale,
          output,
          ext: path.posix.extname(key) || ".png",
        },
        {
          pattern: task.team.resultNamePattern,
          taskName: task.name,
          weightName: task.weight?.name,
          index: item.position + 1,
        },
      );
      entries.push({ name: names.claim(`${folder}${safeFileName(file)}`), key });
    };
    add(main, mainOutput(task.taskKind, main, meta));
    // The other outputs the worker recorded (probability map, overlay), from this task's folder
    // only, whatever the metadata says.
    for (const [metaKey, value] of Object.entries(meta)) {
      if (!metaKey.endsWith("Path") || typeof value !== "string" || value === main) continue;
      if (!value.startsWith(`results/${taskId}/`)) continue;
      add(value, variantOutput(metaKey));
    }
  }
  return entries;
}
