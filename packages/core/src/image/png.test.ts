import zlib from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImage } from "./decode";
import { encodePng, PngWriter } from "./png";
import { noise } from "./testing-noise";
import type { RawImage } from "./types";

function bytesOf(img: RawImage): Buffer {
  return Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
}

/** Walks the chunks checking every CRC; returns the types and the joined IDAT data. */
function chunks(png: Buffer) {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const types: string[] = [];
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const body = png.subarray(at + 4, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length), `CRC of ${type}`).toBe(zlib.crc32(body));
    types.push(type);
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  return { types, idat: Buffer.concat(idat) };
}

describe("encodePng", () => {
  it("round-trips every channel count and depth exactly, on word-aligned and odd rows", async () => {
    for (const [width, height] of [
      [1, 1],
      [1, 37],
      [37, 1],
      [333, 71],
      [256, 300],
    ] as const) {
      for (const channels of [1, 2, 3, 4] as const) {
        for (const depth of [8, 16] as const) {
          const img = noise(width, height, channels, depth);
          const back = await decodeImage(await encodePng(img));
          const label = `${width}x${height}x${channels}@${depth}`;
          expect([back.width, back.height, back.channels, back.depth], label).toEqual([
            width,
            height,
            channels,
            depth,
          ]);
          expect(bytesOf(back).equals(bytesOf(img)), label).toBe(true);
        }
      }
    }
  });

  it("writes valid chunks: CRCs, one zlib stream whose Adler-32 checks, Up-filtered rows", async () => {
    const img = noise(300, 1000, 3, 8); // 900 KB: several strips, so several IDAT pieces
    const { types, idat } = chunks(await encodePng(img));
    expect(types[0]).toBe("IHDR");
    expect(types.at(-1)).toBe("IEND");
    expect(types.filter((t) => t === "IDAT").length).toBeGreaterThan(3);
    // inflateSync verifies the stream's Adler-32 and fails on a broken concatenation.
    const raw = zlib.inflateSync(idat);
    const rowBytes = 300 * 3;
    expect(raw.length).toBe(1000 * (rowBytes + 1));
    for (let y = 0; y < 1000; y++) expect(raw[y * (rowBytes + 1)]).toBe(2);
    const y = 10;
    const x = 17;
    const filtered = raw[y * (rowBytes + 1) + 1 + x];
    const expected =
      ((img.data[y * rowBytes + x] as number) - (img.data[(y - 1) * rowBytes + x] as number)) &
      0xff;
    expect(filtered).toBe(expected);
  });

  it("every zlib level is lossless, and level 1 halves upscaled output against sharp's", async () => {
    const img = noise(64, 64, 3, 8);
    for (const compressionLevel of [0, 1, 6, 9]) {
      const back = await decodeImage(await encodePng(img, { compressionLevel }));
      expect(bytesOf(back).equals(bytesOf(img))).toBe(true);
    }
    const { data, info } = await sharp({
      create: { width: 64, height: 64, channels: 3, background: "#000" },
    })
      .composite([
        {
          input: Buffer.from(noise(64, 64, 3, 8).data),
          raw: { width: 64, height: 64, channels: 3 },
        },
      ])
      .resize(1024, 1024, { kernel: "lanczos3" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const smooth: RawImage = {
      width: info.width,
      height: info.height,
      channels: 3,
      depth: 8,
      data,
    };
    const ours = await encodePng(smooth);
    const sharps = await sharp(data, { raw: { width: 1024, height: 1024, channels: 3 } })
      .png({ compressionLevel: 1, adaptiveFiltering: false })
      .toBuffer();
    expect(ours.length).toBeLessThan(sharps.length * 0.75);
  });
});

describe("PngWriter", () => {
  it("takes rows in uneven strips and gives the same file as one call", async () => {
    // 960 KB of 16-bit RGBA: a piece is compressed once 256 KB of rows are waiting.
    const img = noise(400, 300, 4, 16);
    const writer = new PngWriter(img);
    for (const [y0, y1] of [
      [0, 1],
      [1, 140],
      [140, 141],
      [141, 300],
    ] as const) {
      writer.addRows(img.data, y0, y1);
    }
    const png = await writer.finish();
    expect(chunks(png).types.filter((t) => t === "IDAT").length).toBe(4);
    const back = await decodeImage(png);
    expect(bytesOf(back).equals(bytesOf(img))).toBe(true);
  });

  it("compresses runs of flat art as runs, and upscaled photos by Huffman coding alone", async () => {
    // Flat colour: filtered rows are all zeros, which only run-length matching shortens below
    // one bit per byte (Huffman coding alone would need 1/8 of the raw size at least).
    const flat: RawImage = {
      width: 512,
      height: 512,
      channels: 3,
      depth: 8,
      data: new Uint8Array(512 * 512 * 3).fill(200),
    };
    const flatPng = await encodePng(flat);
    expect(flatPng.length).toBeLessThan(flat.data.length / 100);
    expect(bytesOf(await decodeImage(flatPng)).equals(bytesOf(flat))).toBe(true);
    // A 4x upscale (no runs) through the writer in uneven strips with the event loop
    // running between them, so filtered buffers are reused: the same pixels come back, and the
    // file is no larger than run-length matching alone makes it.
    const { data } = await sharp(Buffer.from(noise(384, 384, 3, 8).data), {
      raw: { width: 384, height: 384, channels: 3 },
    })
      .resize(1536, 1536, { kernel: "lanczos3" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const smooth: RawImage = { width: 1536, height: 1536, channels: 3, depth: 8, data };
    const writer = new PngWriter(smooth);
    for (let y = 0; y < smooth.height; ) {
      const y1 = Math.min(smooth.height, y + 50 + (y % 7));
      writer.addRows(smooth.data, y, y1);
      y = y1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const png = await writer.finish();
    expect(bytesOf(await decodeImage(png)).equals(bytesOf(smooth))).toBe(true);
    const rowBytes = 1536 * 3 + 1;
    const filtered = Buffer.alloc(1536 * rowBytes);
    for (let y = 0; y < 1536; y++) {
      filtered[y * rowBytes] = 2;
      for (let i = 0; i < 1536 * 3; i++) {
        filtered[y * rowBytes + 1 + i] =
          (data[y * 1536 * 3 + i] as number) -
          (y > 0 ? (data[(y - 1) * 1536 * 3 + i] as number) : 0);
      }
    }
    const runLength = zlib.deflateSync(filtered, { level: 1, strategy: zlib.constants.Z_RLE });
    expect(chunks(png).idat.length).toBeLessThanOrEqual(runLength.length * 1.01);
  });

  it("gives the very same file from the compression threads, past their queue bound and on the calling thread", async () => {
    // 360 KB (two strips) with every other row repeated: runs, so zlib compresses the strips;
    // a noisy upscale (Huffman coding alone) and a 16-bit image beside it.
    const runs = noise(400, 300, 3, 8);
    const row = 400 * 3;
    for (let y = 1; y < 300; y += 2) runs.data.copyWithin(y * row, (y - 1) * row, y * row);
    for (const img of [runs, noise(300, 700, 3, 8), noise(200, 300, 4, 16)]) {
      const threaded = await encodePng(img, { thread: true });
      const here = await encodePng(img, { thread: false });
      const bounded = await encodePng(img, { thread: true, maxQueuedBytes: 200_000 });
      expect(here.equals(threaded), `${img.width}x${img.height}x${img.depth}`).toBe(true);
      expect(bounded.equals(threaded)).toBe(true);
      expect(bytesOf(await decodeImage(threaded)).equals(bytesOf(img))).toBe(true);
    }
  });

  it("rejects rows out of order and an unfinished image", async () => {
    const img = noise(8, 8, 1, 8);
    const writer = new PngWriter(img);
    expect(() => writer.addRows(img.data, 2, 4)).toThrow(/expected row 0, got 2/);
    writer.addRows(img.data, 0, 4);
    expect(() => writer.addRows(img.data, 4, 9)).toThrow(/in order/);
    await expect(writer.finish()).rejects.toThrow(/4 of 8 rows/);
  });
});
