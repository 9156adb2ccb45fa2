export type ImageErrorCode =
  | "empty"
  | "unsupported_format"
  | "extension_mismatch"
  | "too_many_pixels"
  | "corrupt";

export const ACCEPTED_FORMATS_TEXT = "PNG (8/16-bit), JPEG, WebP, TIFF, BMP, GIF (first frame)";

/** Thrown for any input the decoder refuses; `code` is stable, `message` is for people. */
export class ImageError extends Error {
  override readonly name = "ImageError";
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
