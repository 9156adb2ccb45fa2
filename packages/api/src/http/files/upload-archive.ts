import { mkdir, open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { detectFormat } from "@studio/core/image/formats";
import type { ZipReader } from "@studio/core/zip/read";
import type { Context } from "../../context";
import { env } from "../../env";
import { AppError, notFound } from "../../errors";
import { detectLayout } from "../../services/dataset-layout";
import { findReferences } from "../../services/dataset-references";
import { cleanName, type StagedImage, stageCheckedImage, uploadKey } from "../../services/images";
import {
  blobStore,
  deleteBlobsQuietly,
  forEachLimited,
  STORE_CONCURRENCY,
} from "../../storage/blobs";
import {
  formatBytes,
  randomName,
  receiveToTemp,
  removeQuietly,
  resolveDataPath,
} from "../../storage/files";
import { openArchive } from "../../storage/zip-reader";
import { checkUploadLimits, declaredLength, requireTeam } from "./access";
import { json, toErrorResponse } from "./responses";

const MAX_TEXT_BYTES = 50 * 1024 * 1024;
/** VOC files are a few KB; larger XML is not parsed, so it is not kept either. */
const MAX_XML_BYTES = 1024 * 1024;

/** Only the texts a layout reads are kept in memory: data.yaml, labels/*.txt, *.json, *.xml. */
function annotationTextLimit(name: string): number {
  const lower = name.toLowerCase();
  const parts = lower.split("/");
  const file = parts[parts.length - 1] ?? "";
  if (file === "data.yaml" || file === "data.yml") return MAX_TEXT_BYTES;
  if (file.endsWith(".txt") && parts.slice(0, -1).includes("labels")) return MAX_TEXT_BYTES;
  if (file.endsWith(".json")) return MAX_TEXT_BYTES;
  if (file.endsWith(".xml")) return MAX_XML_BYTES;
  return 0;
}
const JUNK = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$|\._)/;

async function headOf(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, 64, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

interface ArchiveImage {
  entry: string;
  staged: StagedImage;
}

/**
 * POST, body = a zip archive, query: `teamId`, `name` (new dataset's name) or `datasetId` (add
 * to an existing one). Every entry is checked before anything is kept: paths (no traversal),
 * entry count, declared and actual unpacked sizes (zip bombs), CRCs, and each image like a
 * single upload (decoded by the inference service, one at a time). The layout (classification folders, YOLO, COCO, VOC) is recognised and its
 * labels and boxes stored. All or nothing: one bad image refuses the whole archive, naming it.
 * 201 `{ dataset: { id, name }, imported, report }`.
 */
export async function uploadArchive(request: Request, ctx: Context): Promise<Response> {
  let tmpPath: string | undefined;
  let workDir: string | undefined;
  let zip: ZipReader | undefined;
  /** Objects in the store this request made: deleted unless the rows that name them commit. */
  const objects: string[] = [];
  try {
    if (request.method !== "POST") throw new AppError("method_not_supported", "Use POST.");
    const url = new URL(request.url);
    const team = await requireTeam(ctx, url.searchParams.get("teamId"));
    // biome-ignore lint/style/noNonNullAssertion: requireTeam checked the user
    const user = ctx.user!;
    const existingId = url.searchParams.get("datasetId");
    if (existingId) {
      const found = await ctx.db.dataset.findFirst({
        where: { id: existingId, teamId: team.id },
        select: { id: true },
      });
      if (!found) throw notFound("Dataset not found.");
    }
    const e = env();
    const length = declaredLength(request);
    if (length !== null && length > e.MAX_ARCHIVE_BYTES) {
      throw new AppError(
        "payload_too_large",
        `The archive is larger than ${formatBytes(e.MAX_ARCHIVE_BYTES)}.`,
      );
    }
    await checkUploadLimits(ctx, user, null);
    const archive = await receiveToTemp(request.body, e.MAX_ARCHIVE_BYTES);
    tmpPath = archive.tmpPath;
    zip = await openArchive(archive.tmpPath, {
      maxEntries: e.MAX_ARCHIVE_ENTRIES,
      maxTotalBytes: e.MAX_ARCHIVE_UNPACKED_BYTES,
      maxEntryBytes: e.MAX_IMAGE_BYTES,
    });
    const entries = zip.entries;
    await checkUploadLimits(
      ctx,
      user,
      entries.reduce((sum, entry) => sum + entry.size, 0),
    );

    workDir = resolveDataPath(`tmp/${randomName()}`);
    await mkdir(workDir, { recursive: true });
    const staged: ArchiveImage[] = [];
    const texts = new Map<string, string>();
    const others: string[] = [];
    let textBytes = 0;
    let index = 0;
    for (const entry of entries) {
      if (entry.isDirectory) continue;
      if (JUNK.test(entry.name)) {
        others.push(entry.name);
        continue;
      }
      const target = path.join(workDir, String(index++));
      await zip.extractTo(entry, target);
      const head = await headOf(target);
      if (detectFormat(head)) {
        // Staged in the store (the extracted file goes with it; the store measures its sha256)
        // and decoded by the service.
        const image = await stageCheckedImage(
          { tmpPath: target, size: entry.size, head },
          entry.name,
          ctx.inference,
        );
        objects.push(image.key);
        staged.push({ entry: entry.name, staged: image });
      } else if (entry.size <= annotationTextLimit(entry.name)) {
        // Compressible text costs little in the zip but all of it in memory: cap the total.
        textBytes += entry.size;
        if (textBytes > e.MAX_ARCHIVE_TEXT_BYTES) {
          throw new AppError(
            "annotations_too_large",
            `The archive's annotation files (labels, JSON, XML) add up to more than ${formatBytes(e.MAX_ARCHIVE_TEXT_BYTES)}.`,
          );
        }
        texts.set(entry.name, await readFile(target, "utf8"));
        await rm(target, { force: true });
      } else {
        others.push(entry.name);
        await rm(target, { force: true });
      }
    }
    if (staged.length === 0) throw new AppError("no_images", "The archive contains no images.");

    // Masks and high-resolution images that come with the images are their references, not
    // dataset images; those that belong to no image are dropped.
    const references = findReferences(staged.map((s) => s.entry));
    const usedReferences = new Set([...references.byImage.values()].map((r) => r.entry));
    const unusedReferences = staged.filter(
      (s) => references.entries.has(s.entry) && !usedReferences.has(s.entry),
    );
    const kept = staged.filter((s) => !unusedReferences.includes(s));
    const layout = detectLayout(
      kept.filter((s) => !references.entries.has(s.entry)).map((s) => s.entry),
      texts,
      others,
    );
    const cocoMasks = [...layout.annotations.values()].filter(
      (a) => a.segmentations?.length,
    ).length;
    const report = {
      ...layout.report,
      references:
        references.report ??
        (cocoMasks > 0 ? { kind: "coco" as const, images: cocoMasks, unmatched: 0 } : null),
    };
    const stored = kept.map((s) => ({ ...s, key: uploadKey(team.id, s.staged.checked.format) }));
    const keyOf = new Map(stored.map((s) => [s.entry, s.key]));
    const store = blobStore();
    await forEachLimited(stored, STORE_CONCURRENCY, async (s) => {
      objects.push(s.key);
      await store.move(s.staged.key, s.key);
    });
    const datasetName = cleanName(
      url.searchParams.get("name"),
      `Archive ${new Date().toISOString().slice(0, 10)}`,
    );
    const dataset = await ctx.db.$transaction(
      async (tx) => {
        // A write first, so SQLite takes its write lock before anything is read.
        const ds = existingId
          ? await tx.dataset.update({
              where: { id: existingId },
              data: { updatedAt: new Date() },
              select: { id: true, name: true, layout: true },
            })
          : await tx.dataset.create({
              data: {
                teamId: team.id,
                createdById: user.id,
                name: datasetName,
                layout: layout.layout,
                layoutReport: JSON.stringify(report),
              },
              select: { id: true, name: true, layout: true },
            });
        // A plain dataset learns the layout (or the references) of its first archive that has one.
        if (existingId && ds.layout === "none" && (layout.layout !== "none" || report.references)) {
          await tx.dataset.update({
            where: { id: ds.id },
            data: { layout: layout.layout, layoutReport: JSON.stringify(report) },
            select: { id: true },
          });
        }
        for (const s of stored) {
          if (references.entries.has(s.entry)) continue;
          const image = await tx.image.create({
            data: {
              teamId: team.id,
              uploadedById: user.id,
              originalName: cleanName(s.entry, "image"),
              storagePath: s.key,
              sha256: s.staged.sha256,
              sizeBytes: s.staged.size,
              ...s.staged.checked,
            },
            select: { id: true },
          });
          const note = layout.annotations.get(s.entry);
          const reference = references.byImage.get(s.entry);
          const coco = !reference && note?.segmentations?.length ? note.segmentations : null;
          await tx.datasetImage.create({
            data: {
              datasetId: ds.id,
              imageId: image.id,
              relativePath: s.entry,
              label: note?.label ?? null,
              annotations: note?.boxes
                ? JSON.stringify({ boxes: note.boxes, ...(coco ? { segmentations: coco } : {}) })
                : null,
              referencePath: reference ? (keyOf.get(reference.entry) ?? null) : null,
              referenceKind: reference?.kind ?? (coco ? "coco" : null),
            },
            select: { id: true },
          });
        }
        return ds;
      },
      { timeout: 10 * 60_000, maxWait: 30_000 },
    );
    objects.length = 0;
    await deleteBlobsQuietly(...unusedReferences.map((s) => s.staged.key));
    return json(
      {
        dataset: { id: dataset.id, name: dataset.name },
        imported: stored.length - usedReferences.size,
        report,
      },
      201,
    );
  } catch (error) {
    await deleteBlobsQuietly(...objects);
    return toErrorResponse(error);
  } finally {
    zip?.close();
    await removeQuietly(tmpPath, workDir);
  }
}
