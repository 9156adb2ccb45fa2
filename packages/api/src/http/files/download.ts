import path from "node:path";
import { Readable } from "node:stream";
import { isBlobError } from "@studio/blob/errors";
import type { BlobBody, BlobStore, ByteRange } from "@studio/blob/store";
import { resultMimeType } from "@studio/contracts/task";
import { IMAGE_MIME_TYPES, type ImageFormat } from "@studio/core/image/formats";
import { zipStream } from "@studio/core/zip";
import { z } from "zod";
import type { Context } from "../../context";
import { AppError, badRequest } from "../../errors";
import type { InferenceClient } from "../../inference";
import { parseJson } from "../../services/json";
import { locateWeightObject, usableWeightWhere } from "../../services/weights";
import { blobStore, deleteBlobsQuietly } from "../../storage/blobs";
import {
  ensureRendition,
  IMAGE_RENDITIONS,
  type ImageRendition,
  RENDITION_VERSION,
  type RenditionSource,
  renditionPath,
  resultRenditionPath,
} from "../../storage/renditions";
import { requireTeam } from "./access";
import { requestedRange } from "./byte-range";
import { mainOutput, resultFileName, taskFileName, variantOutput } from "./download-names";
import { contentDisposition, errorResponse, json, toErrorResponse } from "./responses";
import { resultScale, taskZipEntries } from "./task-zip";

const querySchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("image"),
    teamId: z.string(),
    id: z.string(),
    /** A WebP made for display instead of the original bytes. */
    rendition: z.enum(IMAGE_RENDITIONS).optional(),
  }),
  z.object({
    type: z.literal("result"),
    teamId: z.string(),
    id: z.string(),
    itemId: z.string(),
    /** A key of the item's result metadata that names another output (probability map, overlay). */
    variant: z.string().max(64).optional(),
    /** A WebP made for display instead of the result's bytes (image results only). */
    rendition: z.enum(IMAGE_RENDITIONS).optional(),
  }),
  z.object({ type: z.literal("task-zip"), teamId: z.string(), id: z.string() }),
  z.object({ type: z.literal("weight"), teamId: z.string(), id: z.string() }),
]);
export type DownloadQuery = z.infer<typeof querySchema>;

const baseName = (name: string) => name.replace(/\.[^.]+$/, "") || "file";

// Browsers ask again on every use, so someone removed from a team stops seeing its files;
// renditions carry an ETag, so asking again costs a 304 rather than the bytes.
const REVALIDATE = "private, max-age=0, must-revalidate";

/** An object to serve: in the blob store, or (official models) in this machine's DATA_DIR. */
interface Stored {
  store: BlobStore;
  key: string;
}

/** 416 with the size, so the client can ask again for bytes that exist. */
function rangeNotSatisfiable(size: number | null): Response {
  const error = new AppError("bad_request", "The requested byte range lies outside the file.");
  return json(error.body(), 416, size === null ? {} : { "content-range": `bytes */${size}` });
}

/**
 * Streams an object, whole or the one byte range the request asks for (206), with the headers
 * every download has. Every download goes through here, whichever store holds the bytes.
 */
async function storedResponse(
  request: Request,
  { store, key }: Stored,
  fileName: string,
  contentType: string,
  inline: boolean,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const wanted = requestedRange(request, extraHeaders.etag);
  let range: ByteRange | undefined;
  if (wanted && "suffix" in wanted) {
    // The last N bytes: where they start depends on the size.
    const info = await store.head(key);
    if (!info) return errorResponse("not_found", "The file is missing.");
    if (wanted.suffix === 0 || info.size === 0) return rangeNotSatisfiable(info.size);
    range = { start: Math.max(0, info.size - wanted.suffix) };
  } else if (wanted) {
    range = wanted;
  }
  let blob: BlobBody;
  try {
    blob = await store.get(key, range ? { range } : {});
  } catch (error) {
    if (isBlobError(error, "not_found")) return errorResponse("not_found", "The file is missing.");
    if (isBlobError(error, "invalid_range")) {
      return rangeNotSatisfiable((await store.head(key).catch(() => null))?.size ?? null);
    }
    throw error;
  }
  const headers: Record<string, string> = {
    "content-type": contentType,
    "content-length": String(blob.length),
    "content-disposition": contentDisposition(fileName, inline),
    "cache-control": REVALIDATE,
    "x-content-type-options": "nosniff",
    "accept-ranges": "bytes",
    ...extraHeaders,
  };
  if (blob.range) {
    headers["content-range"] = `bytes ${blob.range.start}-${blob.range.end}/${blob.size}`;
  }
  const body = Readable.toWeb(blob.body) as ReadableStream<Uint8Array>;
  return new Response(body, { status: blob.range ? 206 : 200, headers });
}

/** A cached rendition (made on first request). */
async function renditionResponse(
  request: Request,
  inference: InferenceClient,
  source: RenditionSource,
  rendition: ImageRendition,
  cache: {
    /** Its key in the store. */
    key: string;
    /** Strong: the source's bytes never change for the row that names them. */
    etag: string;
    fileName: string;
    /** Whether the source's row is still there once the rendition is made. */
    stillExists: () => Promise<boolean>;
  },
): Promise<Response> {
  const { etag } = cache;
  const known = (request.headers.get("if-none-match") ?? "")
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""));
  if (known.includes(etag)) {
    return new Response(null, { status: 304, headers: { etag, "cache-control": REVALIDATE } });
  }
  const cached = await ensureRendition(inference, source, rendition, cache.key);
  // Deleting a source removes its renditions after the row is gone; one finished after that
  // removal would be left behind, so it is removed here instead.
  if (cached.generated && !(await cache.stillExists())) {
    await deleteBlobsQuietly(cached.key);
    return errorResponse("not_found", "The file is missing.");
  }
  return storedResponse(
    request,
    { store: blobStore(), key: cached.key },
    cache.fileName,
    "image/webp",
    true,
    { etag },
  );
}

/**
 * GET with query `type` = image | result | task-zip | weight, `teamId`, `id` (image, task or
 * weight id), and for results `itemId` (+ optional `variant`). Every file is looked up from a
 * row of the caller's team; no path from the client reaches the file system. `inline=1` asks
 * for inline display (images and results only). Images and image results take `rendition=thumb`
 * (within 256 px) or `rendition=display` (within 2048 px) for an 8-bit sRGB WebP instead of the
 * original.
 */
export async function downloadFile(request: Request, ctx: Context): Promise<Response> {
  try {
    const params = Object.fromEntries(new URL(request.url).searchParams);
    const parsed = querySchema.safeParse(params);
    if (!parsed.success) {
      const badRendition = parsed.error.issues.some((issue) => issue.path[0] === "rendition");
      throw badRequest(
        badRendition
          ? `Unknown rendition: use ${IMAGE_RENDITIONS.join(" or ")}.`
          : "Unknown download: give type, teamId and id.",
      );
    }
    const query = parsed.data;
    const team = await requireTeam(ctx, query.teamId);
    const inline = params.inline === "1";

    if (query.type === "image") {
      const image = await ctx.db.image.findFirst({
        where: { id: query.id, teamId: team.id },
        select: {
          id: true,
          teamId: true,
          storagePath: true,
          originalName: true,
          format: true,
          sha256: true,
          bitDepth: true,
          channels: true,
        },
      });
      if (!image) return errorResponse("not_found", "Image not found.");
      if (query.rendition) {
        return await renditionResponse(
          request,
          ctx.inference,
          { kind: "upload", ...image },
          query.rendition,
          {
            key: renditionPath(image, query.rendition),
            // The bytes of an image id never change.
            etag: `"${image.sha256}-${query.rendition}-v${RENDITION_VERSION}"`,
            fileName: `${baseName(image.originalName)}-${query.rendition}.webp`,
            stillExists: async () => (await ctx.db.image.count({ where: { id: image.id } })) > 0,
          },
        );
      }
      const type = IMAGE_MIME_TYPES[image.format as ImageFormat] ?? "application/octet-stream";
      return await storedResponse(
        request,
        { store: blobStore(), key: image.storagePath },
        image.originalName,
        type,
        inline,
      );
    }

    if (query.type === "result") {
      const item = await ctx.db.taskItem.findFirst({
        where: { id: query.itemId, taskId: query.id, task: { teamId: team.id } },
        select: {
          id: true,
          resultPath: true,
          resultMeta: true,
          position: true,
          image: { select: { originalName: true } },
          task: {
            select: {
              taskKind: true,
              name: true,
              weight: { select: { spec: true, name: true } },
              team: { select: { resultNamePattern: true } },
            },
          },
        },
      });
      if (!item?.resultPath) return errorResponse("not_found", "Result not found.");
      const meta = parseJson<Record<string, unknown>>(item.resultMeta, {});
      let relative = item.resultPath;
      let variantKey: string | undefined;
      if (query.variant) {
        // "probability" finds the worker's `probabilityPath`; the full key works too.
        variantKey =
          typeof meta[`${query.variant}Path`] === "string" ? `${query.variant}Path` : query.variant;
        const value = meta[variantKey];
        // Only paths inside this task's result folder, whatever the metadata says.
        if (typeof value !== "string" || !value.startsWith(`results/${query.id}/`)) {
          return errorResponse("not_found", "Result not found.");
        }
        relative = value;
      }
      const ext = path.extname(relative) || ".png";
      const name = resultFileName(
        item.image.originalName,
        {
          taskKind: item.task.taskKind,
          scale: resultScale(meta, item.task.weight?.spec),
          output: variantKey
            ? variantOutput(variantKey)
            : mainOutput(item.task.taskKind, item.resultPath, meta),
          ext,
        },
        {
          pattern: item.task.team.resultNamePattern,
          taskName: item.task.name,
          weightName: item.task.weight?.name,
          index: item.position + 1,
        },
      );
      // Results are PNG, or another image format a super-resolution task asked for.
      const imageType = resultMimeType(ext);
      if (query.rendition) {
        if (imageType === null) {
          return errorResponse("not_renderable", "This result is not an image.");
        }
        const suffix = query.variant ? `-${query.variant}` : "";
        const key = { teamId: team.id, taskId: query.id, itemId: item.id, variant: variantKey };
        return await renditionResponse(
          request,
          ctx.inference,
          { kind: "result", storagePath: relative },
          query.rendition,
          {
            key: resultRenditionPath(key, query.rendition),
            // Result files are never rewritten in place: item and variant name the bytes.
            etag: `"${item.id}-${variantKey ?? "main"}-${query.rendition}-v${RENDITION_VERSION}"`,
            // Renditions are for display; their names stay the short ones the viewer has used.
            fileName: `${baseName(item.image.originalName)}${suffix}-${query.rendition}.webp`,
            stillExists: async () => (await ctx.db.taskItem.count({ where: { id: item.id } })) > 0,
          },
        );
      }
      const type = imageType ?? (ext === ".json" ? "application/json" : "application/octet-stream");
      return await storedResponse(
        request,
        { store: blobStore(), key: relative },
        name,
        type,
        inline,
      );
    }

    if (query.type === "task-zip") {
      const task = await ctx.db.task.findFirst({
        where: { id: query.id, teamId: team.id },
        select: { id: true, name: true },
      });
      if (!task) return errorResponse("not_found", "Task not found.");
      const entries = await taskZipEntries(ctx.db, task.id);
      if (entries.length === 0) return errorResponse("not_found", "The task has no results yet.");
      const store = blobStore();
      const sources = entries.map((entry) => ({
        name: entry.name,
        // Opened when its turn comes; a missing or unreachable object ends the zip with an error.
        open: () => openStored(store, entry.key),
      }));
      return new Response(zipStream(sources), {
        status: 200,
        headers: {
          "content-type": "application/zip",
          "content-disposition": contentDisposition(taskFileName(task.name, ".zip")),
          "cache-control": REVALIDATE,
        },
      });
    }

    const weight = await ctx.db.weight.findFirst({
      where: { id: query.id, ...usableWeightWhere(team.id) },
      select: { sha256: true, family: true, version: true },
    });
    if (!weight) return errorResponse("not_found", "Weight not found.");
    const name = `${weight.family}-${weight.version}.onnx`.replace(/[^A-Za-z0-9._-]/g, "_");
    const stored = await locateWeightObject(weight.sha256);
    if (!stored) return errorResponse("not_found", "The weight file is missing.");
    return await storedResponse(request, stored, name, "application/octet-stream", false);
  } catch (error) {
    return toErrorResponse(error);
  }
}

/** An object's bytes as the zip writer pulls them. */
async function* openStored(store: BlobStore, key: string): AsyncIterable<Uint8Array> {
  const { body } = await store.get(key);
  yield* body as AsyncIterable<Uint8Array>;
}
