// POST /v1/preview: runs the task's pipeline on a crop of a stored image, exactly as the full
// run computes that region. `params` are checked against the weight's task kind by the service.
import { z } from "zod";
import { taskKindSchema } from "../task";

export const cropSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
});
export type Crop = z.infer<typeof cropSchema>;

export const previewRequestSchema = z.object({
  weightId: z.string().min(1),
  imageId: z.string().min(1),
  crop: cropSchema,
  params: z.record(z.string(), z.unknown()).default({}),
});
export type PreviewRequest = z.input<typeof previewRequestSchema>;

export const labelScoreSchema = z.object({
  label: z.string(),
  index: z.number().int(),
  score: z.number(),
});

export const previewResponseSchema = z.object({
  taskKind: taskKindSchema,
  /** The output image of the crop (mask, upscaled crop, or the crop itself for classification). */
  pngBase64: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** Segmentation: probability map of the crop (8 or 16-bit gray PNG) for re-thresholding in the browser. */
  probabilityPngBase64: z.string().optional(),
  /** Classification: top-k labels. */
  labels: z.array(labelScoreSchema).optional(),
  paramSignature: z.string(),
  weightSha256: z.string(),
  device: z.string(),
  timings: z.record(z.string(), z.number()),
});
export type PreviewResponse = z.infer<typeof previewResponseSchema>;
