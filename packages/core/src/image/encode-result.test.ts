// Results in every output format, read back with independent readers: sharp's metadata (libvips)
// for the profile, XMP and depth, exif-reader for the camera fields, and the browser-side byte
// reader (findProvenance) for the provenance.
import exifReader from "exif-reader";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImage } from "./decode";
import { encodeResult, roundTrip } from "./encode-result";
import { readSourceMetadata, toRational } from "./metadata";
import { readProvenance } from "./provenance";
import { findProvenance, PROVENANCE_SCHEMA, type ResultProvenance } from "./provenance-read";
import type { RawImage } from "./types";

const provenance: ResultProvenance = {
  schema: PROVENANCE_SCHEMA,
  product: { name: "Vision Studio", version: "0.1.0" },
  pipeline: "core-4",
  taskKind: "super_resolution",
  output: "result",
  weight: { name: "动漫 <x4> & co", sha256: "a".repeat(64) },
  signature: "b".repeat(64),
  params: { output: { format: "webp", quality: 80 } },
  tiling: null,
  device: "cpu",
  input: { sha256: "c".repeat(64) },
};

function gradient(depth: 8 | 16, channels: RawImage["channels"], width = 40, height = 30) {
  const n = width * height * channels;
  const data = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  const max = depth === 16 ? 65535 : 255;
  for (let i = 0; i < n; i++) {
    const px = Math.floor(i / channels);
    const c = i % channels;
    // Alpha (last of 2 or 4) a ramp from transparent to opaque; colour a smooth gradient.
    data[i] =
      channels % 2 === 0 && c === channels - 1
        ? Math.round(((px % width) / (width - 1)) * max)
        : Math.round(
            (((px % width) + Math.floor(px / width) + c * 7) / (width + height + 14)) * max,
          );
  }
  return { width, height, channels, depth, data } as RawImage;
}

const FORMATS = ["png", "webp_lossless", "webp", "jpeg", "avif", "tiff"] as const;
const encoding = (format: (typeof FORMATS)[number]) => ({
  format,
  quality: 80,
  background: "#ff0000",
});

describe("encodeResult", () => {
  it("writes each format with its provenance, read back by sharp and by the byte reader", async () => {
    const image = gradient(8, 3);
    const types: Record<string, string> = {
      png: "png",
      webp_lossless: "webp",
      webp: "webp",
      jpeg: "jpeg",
      avif: "heif",
      tiff: "tiff",
    };
    for (const format of FORMATS) {
      const bytes = await encodeResult(image, encoding(format), { provenance });
      const meta = await sharp(bytes).metadata();
      expect(meta.format, format).toBe(types[format]);
      expect([meta.width, meta.height]).toEqual([40, 30]);
      expect(await readProvenance(bytes), format).toEqual(provenance);
      expect(findProvenance(bytes), format).toEqual(provenance);
    }
  });

  it("keeps 16 bits in PNG and TIFF, alpha where the format has it, and lays JPEG on the background", async () => {
    const image = gradient(16, 4);
    for (const format of FORMATS) {
      const bytes = await encodeResult(image, encoding(format));
      const meta = await sharp(bytes).metadata();
      const deep = format === "png" || format === "tiff";
      expect(meta.depth, format).toBe(deep ? "ushort" : "uchar");
      expect(meta.hasAlpha, format).toBe(format !== "jpeg");
    }
    const exact = await sharp(await encodeResult(image, encoding("tiff")))
      .toColourspace("rgb16")
      .raw({ depth: "ushort" })
      .toBuffer();
    expect(Buffer.from(image.data.buffer).equals(exact)).toBe(true);
    // The transparent left column on red: red, however the colour under it was.
    const jpeg = await sharp(await encodeResult(image, { ...encoding("jpeg"), quality: 100 }))
      .raw()
      .toBuffer();
    expect(jpeg[0]).toBeGreaterThan(240);
    expect(jpeg[1]).toBeLessThan(16);
  });

  it("keeps the input's ICC profile (Display P3) and its pixel values", async () => {
    const p3 = await sharp(Buffer.from(gradient(8, 3).data), {
      raw: { width: 40, height: 30, channels: 3 },
    })
      .withIccProfile("p3")
      .png()
      .toBuffer();
    const source = await readSourceMetadata(p3, { gps: false });
    expect(source.icc?.subarray(16, 20).toString("latin1")).toBe("RGB ");
    const kept = await decodeImage(p3, { keepProfile: true });
    expect(kept.icc?.equals(source.icc as Buffer)).toBe(true);
    const converted = await decodeImage(p3);
    expect(converted.icc).toBeUndefined();
    // Kept: the file's own (P3) values; converted: sRGB values, which differ for saturated colour.
    const inFile = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    expect(Buffer.from(kept.data as Uint8Array).equals(inFile)).toBe(true);
    expect(Buffer.from(converted.data as Uint8Array).equals(inFile)).toBe(false);
    for (const format of FORMATS) {
      const bytes = await encodeResult(kept, encoding(format), { icc: kept.icc ?? null });
      const meta = await sharp(bytes).metadata();
      expect(meta.icc?.equals(source.icc as Buffer), format).toBe(true);
      if (format === "png" || format === "tiff" || format === "webp_lossless") {
        const values = await sharp(bytes, { ignoreIcc: true }).raw().toBuffer();
        expect(values.equals(inFile), format).toBe(true);
      }
    }
  });

  it("converts a 16-bit image with a profile to sRGB, not to libvips' P3, unless it is kept", async () => {
    const red = Buffer.alloc(8 * 8 * 3);
    for (let i = 0; i < red.length; i += 3) red[i] = 255;
    const p3 = await sharp(red, { raw: { width: 8, height: 8, channels: 3 } })
      .withIccProfile("p3")
      .toColourspace("rgb16")
      .png()
      .toBuffer();
    const converted = await decodeImage(p3);
    const kept = await decodeImage(p3, { keepProfile: true });
    expect([converted.depth, kept.depth]).toEqual([16, 16]);
    // sRGB red (within the transform's rounding) against the file's own P3 values (234, 51, 34).
    expect(converted.data[0]).toBeGreaterThan(64000);
    expect(converted.data[1]).toBeLessThan(2600);
    expect(Array.from(kept.data.subarray(0, 3)).map((v) => Math.round(v / 257))).toEqual([
      234, 51, 34,
    ]);
  });

  it("copies the camera's EXIF; the GPS position only when allowed", async () => {
    const camera = await sharp(Buffer.from(gradient(8, 3).data), {
      raw: { width: 40, height: 30, channels: 3 },
    })
      .withExif({
        IFD0: { Make: "Canon", Model: "EOS R5", DateTime: "2024:05:01 10:11:12" },
        IFD2: { DateTimeOriginal: "2024:05:01 10:11:12", ExposureTime: "1/250", FNumber: "28/10" },
        IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2400/100" },
      })
      .jpeg()
      .toBuffer();
    const image = gradient(8, 3, 80, 60);
    for (const gps of [false, true]) {
      const { exif } = await readSourceMetadata(camera, { gps });
      for (const format of ["png", "jpeg", "webp", "avif"] as const) {
        const bytes = await encodeResult(image, encoding(format), { exif });
        const read = exifReader((await sharp(bytes).metadata()).exif as Buffer);
        expect(read.Image?.Model, format).toBe("EOS R5");
        expect(read.Photo?.DateTimeOriginal?.toISOString()).toBe("2024-05-01T10:11:12.000Z");
        expect(read.Photo?.ExposureTime).toBeCloseTo(1 / 250, 9);
        expect(read.Photo?.PixelXDimension, format).toBe(80);
        expect(read.GPSInfo?.GPSLatitude, format).toEqual(gps ? [48, 51, 24] : undefined);
      }
    }
    expect(toRational(0.004)).toBe("1/250");
    expect(toRational(2.8)).toBe("14/5");
  });

  it("shows what a lossy format does, and nothing for a lossless one", async () => {
    const image = gradient(8, 3);
    expect(await roundTrip(image, encoding("png"))).toBe(image);
    const jpeg = await roundTrip(image, { ...encoding("jpeg"), quality: 10 });
    expect([jpeg.width, jpeg.height, jpeg.channels]).toEqual([40, 30, 3]);
    expect(Buffer.from(jpeg.data).equals(Buffer.from(image.data))).toBe(false);
  });
});
