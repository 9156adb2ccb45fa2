import { ACCEPTED_FORMATS_TEXT, ImageError } from "./errors";

export type ImageFormat = "png" | "jpeg" | "webp" | "tiff" | "bmp" | "gif";

export const IMAGE_EXTENSIONS: Record<ImageFormat, readonly string[]> = {
  png: ["png"],
  jpeg: ["jpg", "jpeg", "jpe", "jfif"],
  webp: ["webp"],
  tiff: ["tif", "tiff"],
  bmp: ["bmp", "dib"],
  gif: ["gif"],
};

export const IMAGE_MIME_TYPES: Record<ImageFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  tiff: "image/tiff",
  bmp: "image/bmp",
  gif: "image/gif",
};

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[at + i] !== sig[i]) return false;
  return true;
}

/** The format named by the file's magic bytes, or null; never trusts the file name. */
export function detectFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8))
    return "webp";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return "tiff";
  if (startsWith(bytes, [0x42, 0x4d]) && bytes.length >= 26) return "bmp";
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return "gif";
  return null;
}

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf(".");
  return dot < 0 ? "" : fileName.slice(dot + 1).toLowerCase();
}

/** Throws unless the name's extension is one of the detected format's extensions. */
export function checkExtension(fileName: string, format: ImageFormat): void {
  const ext = extensionOf(fileName);
  if (IMAGE_EXTENSIONS[format].includes(ext)) return;
  const known = Object.values(IMAGE_EXTENSIONS).some((list) => list.includes(ext));
  throw new ImageError(
    known ? "extension_mismatch" : "unsupported_format",
    known
      ? `"${fileName}" has the extension .${ext} but its content is ${format.toUpperCase()}; rename it to .${IMAGE_EXTENSIONS[format][0]}`
      : `"${fileName}" has the extension ${ext ? `.${ext}` : "(none)"}, which is not an image type; accepted: ${ACCEPTED_FORMATS_TEXT}`,
  );
}
