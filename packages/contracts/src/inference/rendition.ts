// POST /v1/renditions: an 8-bit sRGB WebP copy of a stored original or result, small enough for
// a browser (thumbnails, before/after views). The API owns the cache (where a copy lives, its
// ETag, who may see it); the service owns the pixels and writes the file where it is told.
import { z } from "zod";

/** Longest side of each rendition, in pixels; smaller images are never enlarged. */
export const RENDITION_SIDES = { thumb: 256, display: 2048 } as const;
export type ImageRendition = keyof typeof RENDITION_SIDES;
export const IMAGE_RENDITIONS = Object.keys(RENDITION_SIDES) as [
  ImageRendition,
  ...ImageRendition[],
];

/**
 * Part of every rendition's file name and ETag: bump it when sizes, quality or the conversion
 * change, and browsers and the cache fetch new copies (old files go with the cleanup job).
 */
export const RENDITION_VERSION = 1;

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."), {
    message: "path must be relative to DATA_DIR and stay inside it",
  });

export const renditionSourceSchema = z.discriminatedUnion("kind", [
  z.object({
    /** An uploaded original: any accepted format, 16-bit included, EXIF orientation applied. */
    kind: z.literal("upload"),
    /** Relative to DATA_DIR (uploads/...). */
    path: relativePath,
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
    path: relativePath,
  }),
]);
export type RenditionSource = z.infer<typeof renditionSourceSchema>;

export const renditionRequestSchema = z.object({
  source: renditionSourceSchema,
  rendition: z.enum(IMAGE_RENDITIONS),
  /** Where the copy goes, relative to DATA_DIR; must lie under renditions/ and end in .webp. */
  target: relativePath.refine((p) => p.startsWith("renditions/") && p.endsWith(".webp"), {
    message: "target must be a .webp file under renditions/",
  }),
  /** The caller's upload pixel limit; the service applies the lower of it and its own. */
  maxPixels: z.number().int().positive().optional(),
});
export type RenditionRequest = z.input<typeof renditionRequestSchema>;

/** Why no rendition could be made: an answer of 200 with `ok: false`, not an error. */
export const renditionRefusalSchema = z.enum(["too_many_pixels", "not_renderable"]);
export type RenditionRefusal = z.infer<typeof renditionRefusalSchema>;

export const renditionResponseSchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    /** The target, relative to DATA_DIR, now present in full (written to a temp file, renamed). */
    path: z.string(),
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
