// Task kinds and statuses: the one list every package and the browser use. Depends on zod
// alone, so client components, the API and the inference service can all import it.
import { z } from "zod";

export const TASK_KINDS = ["segmentation", "super_resolution", "classification"] as const;
export const taskKindSchema = z.enum(TASK_KINDS);
export type TaskKind = (typeof TASK_KINDS)[number];

export const TASK_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "partially_failed",
  "failed",
  "canceled",
] as const;
export const taskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const FINAL_TASK_STATUSES = ["succeeded", "partially_failed", "failed", "canceled"] as const;
export type FinalTaskStatus = (typeof FINAL_TASK_STATUSES)[number];

export const ITEM_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export const itemStatusSchema = z.enum(ITEM_STATUSES);
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export function isFinalTaskStatus(status: string): status is FinalTaskStatus {
  return (FINAL_TASK_STATUSES as readonly string[]).includes(status);
}

// ---- Super-resolution output: format, size, colour (issue #19) ----

/**
 * Formats a super-resolution result can be written in. PNG, WebP lossless and TIFF are lossless
 * (TIFF and PNG keep 16-bit samples; WebP has 8 only); WebP, JPEG and AVIF take a quality.
 */
export const OUTPUT_FORMATS = ["png", "webp_lossless", "webp", "jpeg", "avif", "tiff"] as const;
export const outputFormatSchema = z.enum(OUTPUT_FORMATS);
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const OUTPUT_FORMAT_FILES: Record<
  OutputFormat,
  { ext: string; mime: string; lossy: boolean; alpha: boolean; depth16: boolean }
> = {
  png: { ext: ".png", mime: "image/png", lossy: false, alpha: true, depth16: true },
  webp_lossless: { ext: ".webp", mime: "image/webp", lossy: false, alpha: true, depth16: false },
  webp: { ext: ".webp", mime: "image/webp", lossy: true, alpha: true, depth16: false },
  jpeg: { ext: ".jpg", mime: "image/jpeg", lossy: true, alpha: false, depth16: false },
  avif: { ext: ".avif", mime: "image/avif", lossy: true, alpha: true, depth16: false },
  tiff: { ext: ".tiff", mime: "image/tiff", lossy: false, alpha: true, depth16: true },
};

/** Content-Type of a result file by its extension (with the dot); null when not an image. */
export function resultMimeType(ext: string): string | null {
  const lower = ext.toLowerCase();
  if (lower === ".tif") return "image/tiff";
  return Object.values(OUTPUT_FORMAT_FILES).find((f) => f.ext === lower)?.mime ?? null;
}

export const DEFAULT_OUTPUT_QUALITY = 90;

/**
 * Output size: the model's own scale, a smaller whole scale (x2 from an x4 model), or a width or
 * height in pixels with the aspect ratio kept. Never larger than the model's scale.
 */
export const outputSizeSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("model") }),
  z.object({ mode: z.literal("scale"), scale: z.number().int().min(1).max(16) }),
  z.object({ mode: z.literal("width"), width: z.number().int().min(1).max(65535) }),
  z.object({ mode: z.literal("height"), height: z.number().int().min(1).max(65535) }),
]);
export type OutputSize = z.infer<typeof outputSizeSchema>;

export const outputSettingsSchema = z
  .object({
    format: outputFormatSchema.default("png"),
    /** 1-100, used by the lossy formats only. */
    quality: z.number().int().min(1).max(100).default(DEFAULT_OUTPUT_QUALITY),
    size: outputSizeSchema.default({ mode: "model" }),
    /** keep: the input's ICC profile travels with the pixels; srgb: converted to sRGB. */
    color: z.enum(["keep", "srgb"]).default("keep"),
    /** What transparent pixels are laid on for formats without alpha (JPEG). */
    background: z
      .string()
      .regex(/^#[0-9a-f]{6}$/i, "a colour like #ffffff")
      .default("#ffffff"),
  })
  .prefault({});
export type OutputSettings = z.infer<typeof outputSettingsSchema>;
