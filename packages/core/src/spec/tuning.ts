import { z } from "zod";

export const TuningPresetName = z.enum(["raw", "gentle", "photo", "anime", "text"]);
export type TuningPresetName = z.infer<typeof TuningPresetName>;

/** Neutral values: sharpen 0, contrast 1, brightness 1, saturation 1, gamma 1, denoise 0. */
export const TuningValues = z.object({
  /** Unsharp-mask sigma in output pixels (0 = off). */
  sharpen: z.number().min(0).max(5),
  /** Linear contrast around mid-grey; 1 = unchanged. */
  contrast: z.number().min(0.2).max(3),
  /** Multiplier on lightness; 1 = unchanged. */
  brightness: z.number().min(0.2).max(3),
  saturation: z.number().min(0).max(3),
  /** Output gamma; 1 = unchanged, > 1 brightens mid-tones. */
  gamma: z.number().min(0.3).max(3),
  /** Median filter size (0 = off, else odd 3..7). */
  denoise: z.union([z.literal(0), z.literal(3), z.literal(5), z.literal(7)]),
});
export type TuningValues = z.infer<typeof TuningValues>;

export const NEUTRAL_TUNING: TuningValues = {
  sharpen: 0,
  contrast: 1,
  brightness: 1,
  saturation: 1,
  gamma: 1,
  denoise: 0,
};

export const TUNING_PRESETS: Record<TuningPresetName, TuningValues> = {
  raw: NEUTRAL_TUNING,
  gentle: { ...NEUTRAL_TUNING, sharpen: 0.5, contrast: 1.05, saturation: 1.05 },
  photo: { ...NEUTRAL_TUNING, sharpen: 0.7, contrast: 1.08, saturation: 1.1 },
  anime: { ...NEUTRAL_TUNING, sharpen: 0.3, contrast: 1.1, saturation: 1.15, denoise: 3 },
  text: { ...NEUTRAL_TUNING, sharpen: 1, contrast: 1.2, saturation: 0.9 },
};

/**
 * preset "raw" is the switch that returns the model output untouched: overrides are ignored.
 * Any other preset is the base and overrides replace single values.
 */
export const TuningParams = z
  .object({
    preset: TuningPresetName.default("gentle"),
    overrides: TuningValues.partial().default({}),
  })
  .prefault({});
export type TuningParams = z.infer<typeof TuningParams>;

/** The values the pipeline applies, or null for "raw" (no tuning step at all). */
export function resolveTuning(params: TuningParams): TuningValues | null {
  if (params.preset === "raw") return null;
  return { ...TUNING_PRESETS[params.preset], ...params.overrides };
}
