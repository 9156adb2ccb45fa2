// What a result inherits from its input besides pixels: the colour profile and the camera's EXIF
// (when it was taken and with what). The EXIF is read with exif-reader and written back by
// libvips (sharp's withExif): only the fields below travel, so nothing describing the input's
// pixels (size, orientation, thumbnail, maker notes) can contradict the result's.
import exifReader from "exif-reader";
import sharp from "sharp";

/** EXIF to write, as sharp's withExif takes it: IFD0 (image), IFD2 (photo), IFD3 (GPS). */
export type ExifTags = Partial<Record<"IFD0" | "IFD2" | "IFD3", Record<string, string>>>;

const IMAGE_FIELDS = ["Make", "Model", "DateTime", "Artist", "Copyright"] as const;
const PHOTO_FIELDS = [
  "DateTimeOriginal",
  "DateTimeDigitized",
  "OffsetTime",
  "OffsetTimeOriginal",
  "ExposureTime",
  "FNumber",
  "ISOSpeedRatings",
  "FocalLength",
  "FocalLengthIn35mmFilm",
  "LensMake",
  "LensModel",
] as const;
const GPS_FIELDS = [
  "GPSLatitudeRef",
  "GPSLatitude",
  "GPSLongitudeRef",
  "GPSLongitude",
  "GPSAltitudeRef",
  "GPSAltitude",
  "GPSTimeStamp",
  "GPSDateStamp",
] as const;
/** Fields EXIF stores as rationals: written back as fractions. */
const RATIONAL = new Set<string>([
  "ExposureTime",
  "FNumber",
  "FocalLength",
  "GPSLatitude",
  "GPSLongitude",
  "GPSAltitude",
  "GPSTimeStamp",
]);

/** A fraction close to `value` with a denominator up to 10^5 (continued fractions). */
export function toRational(value: number): string {
  if (Number.isInteger(value)) return `${value}/1`;
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let x = value;
  for (let i = 0; i < 32; i++) {
    const a = Math.floor(x);
    [h0, h1] = [h1, a * h1 + h0];
    [k0, k1] = [k1, a * k1 + k0];
    if (Math.abs(value - h1 / k1) < 1e-9 || k1 > 100_000) break;
    x = 1 / (x - a);
  }
  return `${h1}/${k1}`;
}

/** exif-reader reads EXIF's local date-times as UTC: their UTC fields are the written ones. */
function exifDate(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCFullYear()}:${p(date.getUTCMonth() + 1)}:${p(date.getUTCDate())} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}`;
}

function asString(field: string, value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : exifDate(value);
  if (typeof value === "string") return value.replace(/\0+$/, "").trim() || null;
  if (typeof value === "number" && Number.isFinite(value)) {
    return RATIONAL.has(field) ? toRational(value) : String(value);
  }
  if (Array.isArray(value) && value.every((v) => typeof v === "number" && Number.isFinite(v))) {
    return value.map((v) => (RATIONAL.has(field) ? toRational(v) : String(v))).join(" ");
  }
  return null;
}

function pick(source: Record<string, unknown> | undefined, fields: readonly string[]) {
  const out: Record<string, string> = {};
  for (const field of fields) {
    const value = asString(field, source?.[field]);
    if (value !== null) out[field] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The camera EXIF of an input (date, camera, lens, exposure; GPS position only when `gps`), or
 * null when it has none or it cannot be read (a damaged EXIF block never fails a task).
 */
export function cameraExif(exif: Buffer | undefined, options: { gps: boolean }): ExifTags | null {
  if (!exif || exif.length === 0) return null;
  let parsed: ReturnType<typeof exifReader>;
  try {
    parsed = exifReader(exif);
  } catch {
    return null;
  }
  const tags: ExifTags = {};
  const image = pick(parsed.Image, IMAGE_FIELDS);
  const photo = pick(parsed.Photo, PHOTO_FIELDS);
  const gps = options.gps ? pick(parsed.GPSInfo, GPS_FIELDS) : undefined;
  if (image) tags.IFD0 = image;
  if (photo) tags.IFD2 = photo;
  if (gps) tags.IFD3 = gps;
  return Object.keys(tags).length > 0 ? tags : null;
}

/** The ICC profile's data colour space (header bytes 16-19): "RGB", "GRAY", "CMYK", ... */
export function iccColorSpace(icc: Uint8Array): string | null {
  if (icc.length < 128) return null;
  return String.fromCharCode(...icc.subarray(16, 20)).trim();
}

/** Whether pixels of `channels` can stay in the profile's space (RGB for colour, GRAY for gray). */
export function profileFits(icc: Uint8Array, channels: number): boolean {
  return iccColorSpace(icc) === (channels <= 2 ? "GRAY" : "RGB");
}

export interface SourceMetadata {
  icc: Buffer | null;
  exif: ExifTags | null;
}

/** An input's ICC profile (raw) and camera EXIF, read from its header. */
export async function readSourceMetadata(
  bytes: Uint8Array,
  options: { gps: boolean },
): Promise<SourceMetadata> {
  try {
    const meta = await sharp(bytes, { pages: 1, limitInputPixels: false }).metadata();
    return { icc: meta.icc ?? null, exif: cameraExif(meta.exif, options) };
  } catch {
    return { icc: null, exif: null };
  }
}
