import { imageRefusalDetailsSchema } from "@studio/contracts/inference/image-check";
import {
  InferenceBusyError,
  InferenceRequestError,
  InferenceUnavailableError,
} from "@studio/contracts/inference-client";
import { detectFormat } from "@studio/core/image/formats";
import { type Db, Prisma, providerOf } from "../db";
import { env } from "../env";
import { AppError, conflict, inferenceError, notFound } from "../errors";
import type { InferenceClient } from "../inference";
import { blobStore, deleteBlobsQuietly, type StoredFile, stageFile } from "../storage/blobs";
import { type ReceivedFile, randomName, removeQuietly } from "../storage/files";
import { RENDITIONS, renditionPaths, resultRenditionPath } from "../storage/renditions";

export const imageSelect = {
  id: true,
  teamId: true,
  originalName: true,
  sha256: true,
  sizeBytes: true,
  format: true,
  width: true,
  height: true,
  channels: true,
  bitDepth: true,
  createdAt: true,
  uploadedBy: { select: { id: true, name: true } },
} as const;

export interface CheckedImage {
  format: string;
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
}

/** An upload staged in the store (incoming/...) that the inference service has decoded. */
export interface StagedImage extends StoredFile {
  checked: CheckedImage;
}

/**
 * Checks a received file (in DATA_DIR/tmp) from its bytes: magic bytes here (a web page named
 * .png stops before anything is decoded or stored), then it is staged in the store under
 * incoming/ and the inference service reads the pixel count from the header and decodes every
 * pixel, one image at a time, so a truncated file is refused now rather than failing a task
 * later. The temp file is gone afterwards; the staged object is the caller's to keep (storeImage)
 * or delete, and is already deleted when this throws.
 */
export async function stageCheckedImage(
  // The size and sha256 the receiver measured are checked again as the store takes the file;
  // without them the store measures (an extracted archive entry).
  file: Pick<ReceivedFile, "tmpPath" | "head"> & Partial<Pick<ReceivedFile, "size" | "sha256">>,
  name: string,
  inference: InferenceClient,
): Promise<StagedImage> {
  const detected = detectFormat(file.head);
  if (!detected) {
    await removeQuietly(file.tmpPath);
    throw new AppError(
      "unsupported_format",
      `"${name}" is not a supported image (its content is not PNG, JPEG, WebP, TIFF, BMP or GIF).`,
    );
  }
  const staged = await stageFile(file, `.${detected}`);
  try {
    const checked = await inference.checkImage({
      key: staged.key,
      name,
      maxPixels: env().MAX_IMAGE_PIXELS,
    });
    return {
      ...staged,
      checked: {
        format: checked.format,
        width: checked.width,
        height: checked.height,
        channels: checked.channels,
        bitDepth: checked.bitDepth,
      },
    };
  } catch (error) {
    await deleteBlobsQuietly(staged.key);
    throw imageCheckError(error, name);
  }
}

/** What the uploader hears when the service refused the image or could not check it. */
function imageCheckError(error: unknown, name: string): unknown {
  if (error instanceof InferenceRequestError && error.status === 422) {
    // The decoder's reason is an application code (IMAGE_ERROR_CODES of the contracts), and
    // the message is already the uploader's: the name, then what is wrong with the file.
    const refusal = imageRefusalDetailsSchema.safeParse(error.details);
    if (refusal.success) return new AppError(refusal.data.reason, error.message, { cause: error });
  }
  if (error instanceof InferenceUnavailableError) {
    return new AppError(
      "inference_unavailable",
      `"${name}" could not be checked: uploaded images are checked by the inference service, which is unavailable right now; try again shortly.`,
      { cause: error },
    );
  }
  if (error instanceof InferenceBusyError) {
    return new AppError(
      "inference_busy",
      `Too many images are being checked; try again in ${error.retryAfterSeconds} s.`,
      { details: { retryAfterSeconds: error.retryAfterSeconds }, cause: error },
    );
  }
  if (error instanceof InferenceRequestError && error.status === 404) {
    // The service does not see the upload: it does not use this blob store (a deployment
    // fault the uploader cannot fix), or the object went away meanwhile.
    return new AppError(
      "inference_failed",
      `"${name}" could not be checked: the inference service cannot read the upload.`,
      { cause: error },
    );
  }
  return inferenceError(error);
}

/** Safe display name: the client's name is kept for display only, never used as a path. */
export function cleanName(name: string | null | undefined, fallback: string): string {
  const last = (name ?? "").split(/[\\/]/).pop() ?? "";
  const printable = [...last].filter((c) => c.charCodeAt(0) >= 0x20 && c !== "\u007f").join("");
  return (printable.trim() || fallback).slice(0, 255);
}

/** Where a kept original lives in the store (the row's storagePath). */
export const uploadKey = (teamId: string, format: string) =>
  `uploads/${teamId}/${randomName()}.${format}`;

/**
 * Moves a checked, staged upload to its key under uploads/ and records it; leaves nothing
 * behind on failure (the staged or moved object is deleted).
 */
export async function storeImage(
  db: Db,
  input: {
    teamId: string;
    userId: string;
    staged: StagedImage;
    name: string;
  },
) {
  const { staged } = input;
  const key = uploadKey(input.teamId, staged.checked.format);
  try {
    await blobStore().move(staged.key, key);
  } catch (error) {
    await deleteBlobsQuietly(staged.key, key);
    throw error;
  }
  try {
    return await db.image.create({
      data: {
        teamId: input.teamId,
        uploadedById: input.userId,
        originalName: input.name,
        storagePath: key,
        sha256: staged.sha256,
        sizeBytes: staged.size,
        ...staged.checked,
      },
      select: imageSelect,
    });
  } catch (error) {
    await deleteBlobsQuietly(key);
    throw error;
  }
}

interface ListImagesInput {
  cursor?: string | null;
  limit: number;
  search?: string | null;
  datasetId?: string | null;
  /** Uploaded at or after this instant. */
  from?: Date | null;
  /** Uploaded before this instant. */
  to?: Date | null;
}

/**
 * One page of the team's images, newest first: what the task form's picker and the library
 * list show, searched by name, narrowed to a dataset's images and to an upload time range.
 * `cursor` is the id of the previous page's last image. The (teamId, createdAt) index serves
 * the time range and the order, so a range in a library of tens of thousands stays an index
 * range scan.
 */
export async function listImages(db: Db, teamId: string, input: ListImagesInput) {
  const rows = input.search
    ? await searchImages(db, teamId, { ...input, search: input.search })
    : await db.image.findMany({
        where: {
          teamId,
          ...(input.datasetId ? { datasetImages: { some: { datasetId: input.datasetId } } } : {}),
          ...(input.from || input.to
            ? {
                createdAt: {
                  ...(input.from ? { gte: input.from } : {}),
                  ...(input.to ? { lt: input.to } : {}),
                },
              }
            : {}),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit + 1,
        ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
        select: imageSelect,
      });
  const nextCursor = rows.length > input.limit ? (rows[input.limit - 1]?.id ?? null) : null;
  return { items: rows.slice(0, input.limit), nextCursor };
}

/**
 * listImages' rows whose name contains `search`, ignoring case. Prisma's `contains` is LIKE
 * with the text pasted into the pattern, so "IMG_1" would match "IMGX1" (and "%" anything):
 * SQLite's LIKE has no escape character unless the statement names one, which Prisma cannot.
 * So the page's ids come from SQL that looks for the text itself (instr / strpos of the
 * lower-cased name; SQLite lower-cases ASCII letters only, as its LIKE compares them), in the
 * same order and with the same cursor as the Prisma query, and Prisma reads those rows.
 */
async function searchImages(db: Db, teamId: string, input: ListImagesInput & { search: string }) {
  const found =
    providerOf(db) === "postgresql"
      ? Prisma.sql`strpos(lower(i."originalName"), lower(${input.search})) > 0`
      : Prisma.sql`instr(lower(i."originalName"), lower(${input.search})) > 0`;
  const inDataset = input.datasetId
    ? Prisma.sql`AND EXISTS (SELECT 1 FROM "DatasetImage" d
        WHERE d."imageId" = i."id" AND d."datasetId" = ${input.datasetId})`
    : Prisma.empty;
  const from = input.from ? Prisma.sql`AND i."createdAt" >= ${input.from}` : Prisma.empty;
  const to = input.to ? Prisma.sql`AND i."createdAt" < ${input.to}` : Prisma.empty;
  const after = input.cursor
    ? Prisma.sql`AND (i."createdAt", i."id") <
        (SELECT c."createdAt", c."id" FROM "Image" c WHERE c."id" = ${input.cursor})`
    : Prisma.empty;
  const page = await db.$queryRaw<{ id: string }[]>`
    SELECT i."id" FROM "Image" i
    WHERE i."teamId" = ${teamId} AND ${found} ${inDataset} ${from} ${to} ${after}
    ORDER BY i."createdAt" DESC, i."id" DESC
    LIMIT ${input.limit + 1}`;
  const ids = page.map((row) => row.id);
  const rows = await db.image.findMany({ where: { id: { in: ids } }, select: imageSelect });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function getImage(db: Db, teamId: string, imageId: string) {
  const image = await db.image.findFirst({ where: { id: imageId, teamId }, select: imageSelect });
  if (!image) throw notFound("Image not found.");
  return image;
}

/**
 * Deletes images with their dataset links, task items, result files and cached renditions.
 * Refused while a queued or running task still needs one of them. Rows go in one transaction;
 * files after it, so a failure never leaves a row pointing at a missing file.
 */
export async function deleteImages(db: Db, teamId: string, imageIds: string[]) {
  const ids = [...new Set(imageIds)];
  const { images, results } = await db.$transaction(async (tx) => {
    // A write first: SQLite takes its write lock now, so no task can be created for these
    // images between the busy check and the delete (the check and delete are one unit).
    // PostgreSQL locks rows instead, and an update's row lock does not stop a new task item
    // from referencing the image: FOR UPDATE does, so task creation waits for this unit.
    if (providerOf(tx) === "postgresql") {
      await tx.$queryRaw`SELECT 1 FROM "Image" WHERE "id" IN (${Prisma.join(ids)}) AND "teamId" = ${teamId} FOR UPDATE`;
    }
    const touched = await tx.image.updateMany({
      where: { id: { in: ids }, teamId },
      data: { teamId },
    });
    if (touched.count !== ids.length) throw notFound("Image not found.");
    const busy = await tx.taskItem.count({
      where: { imageId: { in: ids }, task: { status: { in: ["queued", "running"] } } },
    });
    if (busy > 0) throw conflict("An unfinished task uses this image; cancel it first.");
    const images = await tx.image.findMany({
      where: { id: { in: ids }, teamId },
      select: { id: true, storagePath: true },
    });
    const results = await tx.taskItem.findMany({
      where: { imageId: { in: ids } },
      select: { id: true, taskId: true, resultPath: true, resultMeta: true },
    });
    await tx.image.deleteMany({ where: { id: { in: ids }, teamId } });
    return { images, results };
  });
  await deleteBlobsQuietly(
    ...images.flatMap((i) => [i.storagePath, ...renditionPaths({ id: i.id, teamId })]),
    ...results.flatMap((r) => resultFiles(teamId, r)),
  );
  return { deleted: images.length };
}

/** A result item's objects and their cached display renditions (store keys). */
export function resultFiles(
  teamId: string,
  item: { id: string; taskId: string; resultPath: string | null; resultMeta: string | null },
): string[] {
  const files = item.resultPath ? [item.resultPath] : [];
  // Renditions are cached per metadata key ("main" for the result itself).
  const variants: (string | undefined)[] = item.resultPath ? [undefined] : [];
  if (item.resultMeta) {
    try {
      const meta = JSON.parse(item.resultMeta) as Record<string, unknown>;
      for (const [key, value] of Object.entries(meta)) {
        if (typeof value === "string" && value.startsWith("results/")) {
          files.push(value);
          variants.push(key);
        }
      }
    } catch {
      // metadata is written by the worker; a malformed one only means fewer files to remove
    }
  }
  for (const variant of variants) {
    for (const rendition of RENDITIONS) {
      try {
        files.push(
          resultRenditionPath({ teamId, taskId: item.taskId, itemId: item.id, variant }, rendition),
        );
      } catch {
        // a key that cannot name a file never had a rendition
      }
    }
  }
  return files;
}
