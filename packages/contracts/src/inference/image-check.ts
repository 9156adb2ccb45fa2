// POST /v1/images/check: the full decode of an uploaded image, before the API keeps it. The web
// app has staged the upload in the store (incoming/) and checked its size, its type (magic bytes) and
// who may upload; the service proves every pixel decodes (a truncated or corrupt file is refused
// now rather than failing a task later) and answers what the API records on the image's row.
import { z } from "zod";
import { IMAGE_ERROR_CODES } from "../errors";
import { INCOMING_PREFIX, storeKeySchema } from "./store-key";

/** Formats an upload may have (ImageFormat of @studio/core/image; the service checks they agree). */
export const CHECKED_IMAGE_FORMATS = ["png", "jpeg", "webp", "tiff", "bmp", "gif"] as const;
export type CheckedImageFormat = (typeof CHECKED_IMAGE_FORMATS)[number];

export const imageCheckRequestSchema = z.object({
  /** The staged upload's key in the store (incoming/...). */
  key: storeKeySchema(INCOMING_PREFIX),
  /**
   * The uploader's name for the file (display only, never a path): a refusal's message starts
   * with it, so the person who sent a whole archive learns which image is wrong. At most as
   * long as a zip entry's name may be.
   */
  name: z.string().min(1).max(65_535).optional(),
  /** The caller's upload pixel limit; the service applies the lower of it and its own. */
  maxPixels: z.number().int().positive().optional(),
});
export type ImageCheckRequest = z.input<typeof imageCheckRequestSchema>;

/** What the API records on the image's row. */
export const imageCheckResponseSchema = z.object({
  ok: z.literal(true),
  format: z.enum(CHECKED_IMAGE_FORMATS),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Channels after decoding: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: z.number().int().min(1).max(4),
  bitDepth: z.union([z.literal(8), z.literal(16)]),
});
export type ImageCheckResponse = z.infer<typeof imageCheckResponseSchema>;

/**
 * `details` of the service's 422 `unprocessable` answer for an image that does not decode: why,
 * as one of the application's image codes, which the API answers the uploader with (its message
 * is the service's, in the uploader's terms).
 */
export const imageRefusalDetailsSchema = z.object({ reason: z.enum(IMAGE_ERROR_CODES) });
export type ImageRefusalDetails = z.infer<typeof imageRefusalDetailsSchema>;
