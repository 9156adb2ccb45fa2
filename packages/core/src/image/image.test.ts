import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { fixturePath } from "@studio/fixtures";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  decodeImage,
  encodePng,
  ImageError,
  probeImage,
  toDataUrl,
  verifyImageDecodes,
} from "./index";
import { bmp24 } from "./testing-bmp";

const read = (name: string) => readFileSync(fixturePath(name));

async function rejects(p: Promise<unknown>, code: string, text: RegExp) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageError);
  expect((err as ImageError).code).toBe(code);
  expect((err as ImageError).message).toMatch(text);
}

/** A PNG signature and IHDR chunk only: the header of a 'decompression bomb'. */
function pngHeaderOnly(width: number, height: number) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const type = Buffer.from("IHDR", "latin1");
  const chunk = Buffer.alloc(12 + 13);
  chunk.writeUInt32BE(13, 0);
  type.copy(chunk, 4);
  ihdr.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(Buffer.concat([type, ihdr])), 21);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk]);
}

describe("decodeImage", () => {
  it("decodes 8-bit RGB and gray PNG", async () => {
    const rgb = await decodeImage(read("astronaut.png"), { fileName: "astronaut.png" });
    expect([rgb.width, rgb.height, rgb.channels, rgb.depth, rgb.format]).toEqual([
      512,
      512,
      3,
      8,
      "png",
    ]);
    expect(rgb.data).toBeInstanceOf(Uint8Array);
    expect(rgb.data.length).toBe(512 * 512 * 3);
    const gray = await decodeImage(read("camera.png"));
    expect([gray.channels, gray.depth]).toEqual([1, 8]);
  });

  it("keeps 16-bit TIFF and 16-bit PNG as Uint16Array", async () => {
    const tif = await decodeImage(read("chessboard_GRAY_U16.tif"), { fileName: "c.tif" });
    expect([tif.width, tif.height, tif.channels, tif.depth]).toEqual([200, 200, 1, 16]);
    expect(tif.data).toBeInstanceOf(Uint16Array);
    const png16 = await encodePng(tif);
    const back = await decodeImage(png16);
    expect(back.depth).toBe(16);
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength)).toEqual(
      Buffer.from(tif.data.buffer, tif.data.byteOffset, tif.data.byteLength),
    );
    const wide = new Uint16Array(9 * 4 * 3).map((_, i) => (i * 2731) % 65536);
    const wideBack = await decodeImage(
      await encodePng({ width: 9, height: 4, channels: 3, depth: 16, data: wide }),
    );
    expect([wideBack.depth, wideBack.channels]).toEqual([16, 3]);
    expect(Array.from(wideBack.data)).toEqual(Array.from(wide));
  });

  it("applies EXIF orientation of JPEGs", async () => {
    const src = read("rocket.jpg");
    const rotated = await sharp(src).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const img = await decodeImage(rotated, { fileName: "r.jpeg" });
    expect([img.width, img.height]).toEqual([427, 640]);
    const info = await probeImage(rotated);
    expect([info.width, info.height]).toEqual([427, 640]);
  });

  it("decodes WebP, GIF first frame, alpha and BMP", async () => {
    const webp = await sharp(read("chelsea.png")).webp({ lossless: true }).toBuffer();
    const w = await decodeImage(webp, { fileName: "x.webp" });
    expect([w.format, w.width, w.height, w.channels]).toEqual(["webp", 451, 300, 3]);
    const gif = await decodeImage(read("no_time_for_that_tiny.gif"));
    expect([gif.format, gif.width, gif.height, gif.channels]).toEqual(["gif", 14, 25, 4]);
    const rgba = await sharp(read("chelsea.png")).ensureAlpha(0.5).png().toBuffer();
    const a = await decodeImage(rgba);
    expect([a.channels, a.hasAlpha]).toEqual([4, true]);
    expect(a.data[3]).toBe(127);
    const b = await decodeImage(
      bmp24(5, 3, (x, y) => [x * 10, y * 20, 7]),
      { fileName: "t.bmp" },
    );
    expect([b.format, b.width, b.height, b.channels]).toEqual(["bmp", 5, 3, 3]);
    expect(Array.from(b.data.subarray((2 * 5 + 4) * 3, (2 * 5 + 4) * 3 + 3))).toEqual([40, 40, 7]);
  });

  it("rejects empty, unknown, corrupt and truncated files with clear errors", async () => {
    await rejects(decodeImage(new Uint8Array()), "empty", /empty/);
    await rejects(
      decodeImage(Buffer.from("%PDF-1.4 hello")),
      "unsupported_format",
      /accepted: PNG/,
    );
    const png = read("astronaut.png");
    await rejects(decodeImage(png.subarray(0, 40)), "corrupt", /PNG/);
    await rejects(decodeImage(png.subarray(0, png.length / 2)), "corrupt", /truncated or corrupt/);
    const jpg = read("rocket.jpg");
    await rejects(decodeImage(jpg.subarray(0, jpg.length / 3)), "corrupt", /JPEG/);
    const bad = Buffer.from(png);
    bad.fill(0x55, 2000, 6000);
    await rejects(decodeImage(bad), "corrupt", /PNG/);
  });

  it("verifies a whole image decodes with bounded memory, refusing what decodeImage refuses", async () => {
    const png = read("astronaut.png");
    const info = await verifyImageDecodes(png);
    expect([info.format, info.width, info.height]).toEqual(["png", 512, 512]);
    await rejects(
      verifyImageDecodes(png.subarray(0, png.length / 2)),
      "corrupt",
      /truncated or corrupt/,
    );
    const jpg = read("rocket.jpg");
    await rejects(verifyImageDecodes(jpg.subarray(0, jpg.length / 3)), "corrupt", /JPEG/);
    const bad = Buffer.from(png);
    bad.fill(0x55, 2000, 6000);
    await rejects(verifyImageDecodes(bad), "corrupt", /PNG/);
    await rejects(verifyImageDecodes(png, { maxPixels: 1000 }), "too_many_pixels", /pixel/);
  });

  it("rejects a wrong extension and a non-image extension", async () => {
    await rejects(
      decodeImage(read("rocket.jpg"), { fileName: "rocket.png" }),
      "extension_mismatch",
      /JPEG.*\.jpg/,
    );
    await rejects(
      decodeImage(read("rocket.jpg"), { fileName: "rocket.exe" }),
      "unsupported_format",
      /\.exe/,
    );
  });

  it("rejects oversized images from the header alone", async () => {
    await rejects(
      decodeImage(read("retina.jpg"), { maxPixels: 1_000_000 }),
      "too_many_pixels",
      /1411x1411.*limit is 1000000/,
    );
    // A header claiming 30000x30000 with almost no data: refused before any decode is tried.
    await rejects(
      probeImage(pngHeaderOnly(30000, 30000), { maxPixels: 50_000_000 }),
      "too_many_pixels",
      /30000x30000/,
    );
    await rejects(decodeImage(pngHeaderOnly(30000, 30000)), "too_many_pixels", /900000000 pixels/);
  });
});

describe("encodePng", () => {
  it("round-trips 8-bit gray+alpha losslessly and gives a data URL", async () => {
    const data = new Uint8Array(7 * 3 * 2).map((_, i) => (i * 37) % 256);
    const png = await encodePng({ width: 7, height: 3, channels: 2, depth: 8, data });
    const back = await decodeImage(png);
    expect([back.channels, back.depth]).toEqual([2, 8]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(toDataUrl(png)).toMatch(/^data:image\/png;base64,iVBOR/);
  });

  it("round-trips every channel count at 8 and 16 bits", async () => {
    for (const [width, height] of [
      [5, 3],
      [1, 1],
      [97, 61],
    ] as const) {
      for (const channels of [1, 2, 3, 4] as const) {
        for (const depth of [8, 16] as const) {
          const n = width * height * channels;
          const data =
            depth === 16
              ? Uint16Array.from({ length: n }, (_, i) => (i * 7919 + (i >> 7)) % 65536)
              : Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 9)) % 256);
          const png = await encodePng({ width, height, channels, depth, data });
          const back = await decodeImage(png);
          expect([back.width, back.height, back.channels, back.depth]).toEqual([
            width,
            height,
            channels,
            depth,
          ]);
          const same = Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength);
          expect(same.equals(Buffer.from(data.buffer))).toBe(true);
        }
      }
    }
  });
});
