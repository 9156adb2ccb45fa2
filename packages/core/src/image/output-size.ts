// How large a super-resolution result is written: the model's scale, a smaller whole scale, or a
// width or height with the aspect kept; never larger than the model makes it, and never past
// what the chosen format can hold.
import type { OutputFormat, OutputSize } from "@studio/contracts/task";
import { ImageError } from "./errors";

/** Largest side each format can hold (WebP's VP8L/VP8 limit, JPEG's 16-bit fields less margin). */
export const MAX_OUTPUT_SIDE: Record<OutputFormat, number> = {
  png: 2 ** 31 - 1,
  tiff: 2 ** 31 - 1,
  webp_lossless: 16383,
  webp: 16383,
  jpeg: 65500,
  avif: 65536,
};

export interface OutputDimensions {
  width: number;
  height: number;
  /** Output over input width: the model's scale, a smaller one, or a fraction for a width. */
  scale: number;
  /** Whether the model's output is resampled (anything but the model's own scale). */
  resampled: boolean;
}

/** A size the model or the format cannot give; the message says what is accepted. */
const tooLarge = (message: string) => new ImageError("too_many_pixels", message);

/**
 * The other side for one side set to `px` with the aspect kept (at least 1 px); refuses more than
 * the model's scale gives that side.
 */
function fitOtherSide(
  px: number,
  from: number,
  other: number,
  max: number,
  modelScale: number,
  side: "width" | "height",
): number {
  if (px > max) {
    const extent = side === "width" ? "wide" : "high";
    throw tooLarge(
      `a ${side} of ${px} px is more than this model's x${modelScale} gives a ${from} px ${extent} image (${max} px); choose ${max} px or less`,
    );
  }
  return Math.max(1, Math.round((other * px) / from));
}

export function outputDimensions(
  input: { width: number; height: number },
  modelScale: number,
  size: OutputSize,
  format: OutputFormat = "png",
): OutputDimensions {
  const maxW = input.width * modelScale;
  const maxH = input.height * modelScale;
  let width = maxW;
  let height = maxH;
  if (size.mode === "scale") {
    if (size.scale > modelScale) {
      throw tooLarge(
        `x${size.scale} is larger than this model's x${modelScale}; choose x${modelScale} or smaller`,
      );
    }
    width = input.width * size.scale;
    height = input.height * size.scale;
  } else if (size.mode === "width") {
    width = size.width;
    height = fitOtherSide(size.width, input.width, input.height, maxW, modelScale, "width");
  } else if (size.mode === "height") {
    height = size.height;
    width = fitOtherSide(size.height, input.height, input.width, maxH, modelScale, "height");
  }
  const side = MAX_OUTPUT_SIDE[format];
  if (width > side || height > side) {
    const name = format === "webp_lossless" ? "WebP" : format.toUpperCase();
    throw tooLarge(
      `the result would be ${width}x${height} pixels, and ${name} holds at most ${side} pixels a side; choose a smaller size, or PNG or TIFF`,
    );
  }
  return {
    width,
    height,
    scale: Math.round((width / input.width) * 100) / 100,
    resampled: width !== maxW || height !== maxH,
  };
}
