import type { Db } from "../db";
import { conflict, notFound } from "../errors";
import { deleteBlobsQuietly } from "../storage/blobs";
import { renditionPaths } from "../storage/renditions";
import { resultFiles } from "./images";
import { parseJson } from "./json";

const datasetSelect = {
  id: true,
  teamId: true,
  name: true,
  description: true,
  layout: true,
  layoutReport: true,
  createdAt: true,
  updatedAt: true,
  createdBy: { select: { id: true, name: true } },
  _count: { select: { images: true } },
} as const;

function present<T extends { layoutReport: string; _count: { images: number } }>(row: T) {
  const { _count, layoutReport, ...rest } = row;
  return {
    ...rest,
    imageCount: _count.images,
    layoutReport: parseJson<Record<string, unknown>>(layoutReport, {}),
  };
}

export async function createDataset(
  db: Db,
  input: { teamId: string; userId: string; name: string; description?: string },
) {
  const row = await db.dataset.create({
    data: {
      teamId: input.teamId,
      createdById: input.userId,
      name: input.name,
      description: input.description ?? "",
    },
    select: datasetSelect,
  });
  return present(row);
}

export async function listDatasets(
  db: Db,
  teamId: string,
  input: { cursor?: string | null; limit: number; search?: string | null },
) {
  const rows = await db.dataset.findMany({
    where: { teamId, ...(input.search ? { name: { contains: input.search } } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: datasetSelect,
  });
  const nextCursor = rows.length > input.limit ? (rows[input.limit - 1]?.id ?? null) : null;
  return { items: rows.slice(0, input.limit).map(present), nextCursor };
}

export async function getDataset(db: Db, teamId: string, datasetId: string) {
  const row = await db.dataset.findFirst({
    where: { id: datasetId, teamId },
    select: datasetSelect,
  });
  if (!row) throw notFound("Dataset not found.");
  return present(row);
}

export async function updateDataset(
  db: Db,
  teamId: string,
  datasetId: string,
  input: { name?: string; description?: string },
) {
  await getDataset(db, teamId, datasetId);
  const row = await db.dataset.update({
    where: { id: datasetId },
    data: input,
    select: datasetSelect,
  });
  return present(row);
}

/** Links images already uploaded to this team; images of other teams are NOT_FOUND. */
export async function addImagesToDataset(
  db: Db,
  teamId: string,
  datasetId: string,
  imageIds: string[],
) {
  await getDataset(db, teamId, datasetId);
  const images = await db.image.findMany({
    where: { id: { in: imageIds }, teamId },
    select: { id: true, originalName: true },
  });
  if (images.length !== new Set(imageIds).size) throw notFound("Image not found.");
  const existing = new Set(
    (
      await db.datasetImage.findMany({
        where: { datasetId, imageId: { in: imageIds } },
        select: { imageId: true },
      })
    ).map((l) => l.imageId),
  );
  const fresh = images.filter((i) => !existing.has(i.id));
  await db.datasetImage.createMany({
    data: fresh.map((i) => ({ datasetId, imageId: i.id, relativePath: i.originalName })),
  });
  return { added: fresh.length };
}

/**
 * Takes images out of a dataset: their links (path, label, boxes) go; the images stay in the
 * team's library and in other datasets, and tasks and results that used them are kept, so
 * nothing a finished task reports disappears. All or nothing: an id that is not in the dataset
 * refuses the whole call. Statistics are computed from the links, so they follow at once.
 */
export async function removeImagesFromDataset(
  db: Db,
  teamId: string,
  datasetId: string,
  imageIds: string[],
) {
  const ids = [...new Set(imageIds)];
  return db.$transaction(async (tx) => {
    // A write first (SQLite's write lock; the dataset row on PostgreSQL): removals and
    // additions to one dataset queue behind each other, so the count below is exact.
    const touched = await tx.dataset.updateMany({
      where: { id: datasetId, teamId },
      data: { updatedAt: new Date() },
    });
    if (touched.count === 0) throw notFound("Dataset not found.");
    const removed = await tx.datasetImage.deleteMany({
      where: { datasetId, imageId: { in: ids } },
    });
    if (removed.count !== ids.length) throw notFound("Image not found in this dataset.");
    const imageCount = await tx.datasetImage.count({ where: { datasetId } });
    return { removed: removed.count, imageCount };
  });
}

/** The gallery: images of a dataset in path order with their labels and boxes. */
export async function listDatasetImages(
  db: Db,
  teamId: string,
  datasetId: string,
  input: { cursor?: string | null; limit: number; label?: string | null },
) {
  await getDataset(db, teamId, datasetId);
  const rows = await db.datasetImage.findMany({
    where: { datasetId, ...(input.label ? { label: input.label } : {}) },
    orderBy: [{ relativePath: "asc" }, { id: "asc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: {
      id: true,
      relativePath: true,
      label: true,
      annotations: true,
      image: {
        select: {
          id: true,
          originalName: true,
          format: true,
          width: true,
          height: true,
          sizeBytes: true,
        },
      },
    },
  });
  const nextCursor = rows.length > input.limit ? (rows[input.limit - 1]?.id ?? null) : null;
  return {
    items: rows.slice(0, input.limit).map((r) => ({
      ...r,
      annotations: parseJson<{ boxes?: unknown[] } | null>(r.annotations, null),
    })),
    nextCursor,
  };
}

function bucket(value: number): string {
  if (value < 256) return "<256";
  if (value < 512) return "256-511";
  if (value < 1024) return "512-1023";
  if (value < 2048) return "1024-2047";
  if (value < 4096) return "2048-4095";
  return ">=4096";
}

/** Counts, bytes, formats, width/height distribution, labels and class balance. */
export async function datasetStats(db: Db, teamId: string, datasetId: string) {
  await getDataset(db, teamId, datasetId);
  const rows = await db.datasetImage.findMany({
    where: { datasetId },
    select: {
      label: true,
      annotations: true,
      image: {
        select: { format: true, sizeBytes: true, width: true, height: true, channels: true },
      },
    },
  });
  const count = (keys: string[]) => {
    const map: Record<string, number> = {};
    for (const k of keys) map[k] = (map[k] ?? 0) + 1;
    return map;
  };
  const widths = rows.map((r) => r.image.width);
  const heights = rows.map((r) => r.image.height);
  const labels = count(rows.map((r) => r.label).filter((l): l is string => l !== null));
  const labelCounts = Object.values(labels);
  // Detection layouts (YOLO, COCO, VOC) label boxes rather than images.
  const boxLabels = count(
    rows
      .flatMap(
        (r) => parseJson<{ boxes?: Array<{ label?: string }> }>(r.annotations, {}).boxes ?? [],
      )
      .map((b) => b.label ?? "?"),
  );
  const range = (v: number[]) =>
    v.length
      ? { min: Math.min(...v), max: Math.max(...v), mean: v.reduce((a, b) => a + b, 0) / v.length }
      : null;
  return {
    imageCount: rows.length,
    totalBytes: rows.reduce((sum, r) => sum + r.image.sizeBytes, 0),
    formats: count(rows.map((r) => r.image.format)),
    channels: count(rows.map((r) => String(r.image.channels))),
    width: range(widths),
    height: range(heights),
    widthBuckets: count(widths.map(bucket)),
    heightBuckets: count(heights.map(bucket)),
    labels,
    unlabeled: rows.filter((r) => r.label === null).length,
    boxLabels,
    annotatedImages: rows.filter((r) => r.annotations !== null).length,
    // max/min class count: 1 is perfectly balanced
    classImbalance:
      labelCounts.length > 1 ? Math.max(...labelCounts) / Math.min(...labelCounts) : null,
  };
}

/**
 * Deletes the dataset; with `withImages`, its images that no other dataset holds go too,
 * together with their task items, result files and cached renditions (from the store, after the
 * rows). Refused while an unfinished task uses it.
 */
export async function deleteDataset(
  db: Db,
  teamId: string,
  datasetId: string,
  withImages: boolean,
) {
  // One transaction whose first statement is a write (it takes SQLite's write lock), so no
  // task can start using the dataset or its images between the check and the delete.
  const { files, imagesDeleted } = await db.$transaction(async (tx) => {
    const touched = await tx.dataset.updateMany({
      where: { id: datasetId, teamId },
      data: { updatedAt: new Date() },
    });
    if (touched.count === 0) throw notFound("Dataset not found.");
    const busy = await tx.task.count({
      where: { datasetId, status: { in: ["queued", "running"] } },
    });
    if (busy > 0) throw conflict("An unfinished task uses this dataset; cancel it first.");
    // Reference masks / HR images belong to the dataset's rows and go with them.
    const references = (
      await tx.datasetImage.findMany({
        where: { datasetId, referencePath: { not: null } },
        select: { referencePath: true },
      })
    ).map((r) => r.referencePath as string);
    if (!withImages) {
      await tx.dataset.delete({ where: { id: datasetId }, select: { id: true } });
      return { files: references, imagesDeleted: 0 };
    }
    const images = await tx.image.findMany({
      where: { teamId, datasetImages: { some: { datasetId }, every: { datasetId } } },
      select: { id: true, storagePath: true },
    });
    const ids = images.map((i) => i.id);
    const busyImages = await tx.taskItem.count({
      where: { imageId: { in: ids }, task: { status: { in: ["queued", "running"] } } },
    });
    if (busyImages > 0) {
      throw conflict("An unfinished task uses images of this dataset; cancel it first.");
    }
    const items = await tx.taskItem.findMany({
      where: { imageId: { in: ids } },
      select: { id: true, taskId: true, resultPath: true, resultMeta: true },
    });
    await tx.dataset.delete({ where: { id: datasetId }, select: { id: true } });
    await tx.image.deleteMany({ where: { id: { in: ids }, teamId } });
    return {
      files: [
        ...references,
        ...images.flatMap((i) => [i.storagePath, ...renditionPaths({ id: i.id, teamId })]),
        ...items.flatMap((item) => resultFiles(teamId, item)),
      ],
      imagesDeleted: ids.length,
    };
  });
  await deleteBlobsQuietly(...files);
  return { deleted: true as const, imagesDeleted };
}
