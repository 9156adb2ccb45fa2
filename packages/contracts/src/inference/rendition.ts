// POST /v1/renditions: an 8-bit sRGB copy of a stored original or result, made by the service
// that owns the pixels: WebP small enough for a browser (thumbnails, before/after views), or a
// JPEG on white for the PDF report (PDF readers show only JPEG and PNG). The API owns the cache
// (which key a copy has, its ETag, who may see it); the service owns the pixels and stores the
// copy under the key it is told.
import { z } from "zod";
import { storeKeySchema } from "./store-key";

/** Longest side of each rendition, in pixels; smaller images are never enlarged. */
export const RENDITION_SIDES = {
  thumb: 256,
  display: 2048,
  /** Twice the box the report prints a picture in, so it stays sharp on paper. */
  print: 440,
} as const;
export type Rendition = keyof typeof RENDITION_SIDES;
/** Every rendition, the report's included (for removing an image's copies with it). */
export const RENDITIONS = Object.keys(RENDITION_SIDES) as [Rendition, ...Rendition[]];

/** The renditions a browser asks for (the download route's `rendition=`): WebP for screens. */
export const IMAGE_RENDITIONS = ["thumb", "display"] as const satisfies readonly Rendition[];
export type ImageRendition = (typeof IMAGE_RENDITIONS)[number];

/** The file formats renditions are written in, with their file extension and content type. */
export const RENDITION_FILE_TYPES = {
  webp: { ext: ".webp", mime: "image/webp" },
  jpeg: { ext: ".jpg", mime: "image/jpeg" },
} as const;
export type RenditionFormat = keyof typeof RENDITION_FILE_TYPES;

/** Each rendition's format: the report's is a JPEG flattened on white. */
export const RENDITION_FORMATS = {
  thumb: "webp",
  display: "webp",
  print: "jpeg",
} as const satisfies Record<Rendition, RenditionFormat>;

/** The extension and content type of a rendition's file. */
export const renditionFileType = (rendition: Rendition) =>
  RENDITION_FILE_TYPES[RENDITION_FORMATS[rendition]];

/**
 * Part of every rendition's file name and ETag: bump it when sizes, quality or the conversion
 * change, and browsers and the cache fetch new copies (old files go with the cleanup job).
 */
export const RENDITION_VERSION = 1;

/** Renditions are kept in the store too, so every web process serves the one copy a node made. */
export const RENDITIONS_PREFIX = "renditions/";

export const renditionSourceSchema = z.discriminatedUnion("kind", [
  z.object({
    /** An uploaded original: any accepted format, 16-bit included, EXIF orientation applied. */
    kind: z.literal("upload"),
    /** The original's key in the store (uploads/...). */
    key: storeKeySchema("uploads/"),
    /** As recorded at upload: png, jpeg, webp, tiff, bmp, gif. */
    format: z.string().min(1),
    bitDepth: z.number().int().positive(),
    channels: z.number().int().positive(),
  }),
  z.object({
    /**
     * A PNG the worker wrote: full range already (a probability map must keep its values, so
     * it is not stretched), and within what the worker held in memory, so the upload pixel
     * limit (which a 4x super-resolution exceeds) does not apply.
     */
    kind: z.literal("result"),
    key: storeKeySchema("results/"),
  }),
]);
export type RenditionSource = z.infer<typeof renditionSourceSchema>;

export const renditionRequestSchema = z
  .object({
    source: renditionSourceSchema,
    rendition: z.enum(RENDITIONS),
    /** The copy's key in the store: under renditions/, ending in its format's extension. */
    target: storeKeySchema(RENDITIONS_PREFIX),
    /** The caller's upload pixel limit; the service applies the lower of it and its own. */
    maxPixels: z.number().int().positive().optional(),
  })
  .superRefine((request, ctx) => {
    // Reached with failed fields too (reported already): only a well-formed pair is compared.
    if (!Object.hasOwn(RENDITION_FORMATS, request.rendition)) return;
    if (typeof request.target !== "string") return;
    const { ext } = renditionFileType(request.rendition);
    if (!request.target.endsWith(ext)) {
      ctx.addIssue({
        code: "custom",
        path: ["target"],
        message: `target must be a ${ext} key under ${RENDITIONS_PREFIX} for the ${request.rendition} rendition`,
      });
    }
  });
export type RenditionRequest = z.input<typeof renditionRequestSchema>;

/** Why no rendition could be made: an answer of 200 with `ok: false`, not an error. */
export const renditionRefusalSchema = z.enum(["too_many_pixels", "not_renderable"]);
export type RenditionRefusal = z.infer<typeof renditionRefusalSchema>;

export const renditionResponseSchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    /** The target key, now present in the store in full. */
    key: z.string(),
    size: z.number().int().nonnegative(),
    /** False when the file was already there (another caller made it first). */
    generated: z.boolean(),
  }),
  z.object({
    ok: z.literal(false),
    code: renditionRefusalSchema,
    /** For people: what is wrong, without library internals. */
    message: z.string(),
    /** The pixel limit that applied, for `too_many_pixels`. */
    maxPixels: z.number().int().positive().optional(),
  }),
]);
export type RenditionResponse = z.infer<typeof renditionResponseSchema>;
