import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import zlib from "node:zlib";
import { fixturePath } from "@studio/fixtures";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import { PNG_THREAD_SOURCES } from "../image/png-thread-source";
import { noise } from "../image/testing-noise";
import type { RawImage } from "../image/types";
import { NEUTRAL_TUNING, type TuningValues } from "../spec/index";
import { maxDifference } from "../testing-numbers";
import { tuneStrips } from "../tuning/strips";
import { Kernels } from "./index";
import { KERNELS_WASM_SOURCES } from "./kernels-wasm";

async function tuned(img: RawImage, v: TuningValues, portable: boolean): Promise<Uint8Array> {
  const out = { ...img, data: img.data.slice() };
  await tuneStrips(out, v, out, () => {}, { portable });
  return out.data as Uint8Array;
}

/** zlib's own Adler-32 of `bytes`: the trailer of a zlib stream. */
function zlibAdler(bytes: Uint8Array): number {
  const stream = zlib.deflateSync(bytes, { level: 0 });
  return stream.readUInt32BE(stream.length - 4);
}

describe("WebAssembly kernels", () => {
  it("are built from the sources in the tree (WebAssembly and the PNG thread's bundle)", () => {
    const sources = { ...KERNELS_WASM_SOURCES, ...PNG_THREAD_SOURCES };
    expect(Object.keys(sources)).toContain("kernels/kernels.c");
    expect(Object.keys(sources)).toContain("image/png-strip.ts");
    for (const [file, sha256] of Object.entries(sources)) {
      const source = readFileSync(new URL(`../${file}`, import.meta.url));
      expect(
        createHash("sha256").update(source).digest("hex"),
        `${file} changed: run \`pnpm --filter @studio/core build:kernels\``,
      ).toBe(sha256);
    }
  });

  it("tune the default case bit for bit as the JavaScript path, at every width and edge", async () => {
    const photo = await decodeImage(readFileSync(fixturePath("chelsea.png")));
    const images: RawImage[] = [
      // 451 px wide: a pixel past the kernel's 4-pixel steps; 300 rows: five strips.
      photo,
      // Widths 1 to 5 (no neighbours, edge pairs, tails), heights across strip seams.
      ...[1, 2, 3, 5].map((w) => noise(w, 67, 3, 8)),
      noise(37, 129, 3, 8),
      noise(8, 1, 3, 8),
    ];
    // Sharpen 0.3 to 0.65 blurs with 3 taps; strong contrast and brightness saturate both ends.
    const settings: TuningValues[] = [
      { ...NEUTRAL_TUNING, sharpen: 0.5, contrast: 1.05, saturation: 1.05 },
      { ...NEUTRAL_TUNING, sharpen: 0.3, contrast: 2, brightness: 1.4, saturation: 0 },
      { ...NEUTRAL_TUNING, sharpen: 0.65, contrast: 0.5, brightness: 0.6, saturation: 2 },
    ];
    for (const img of images) {
      for (const v of settings) {
        const fast = await tuned(img, v, false);
        const portable = await tuned(img, v, true);
        expect(
          maxDifference(fast, portable),
          `${img.width}x${img.height} ${JSON.stringify(v)}`,
        ).toBe(0);
      }
    }
    // Saturation happened (the clamps were exercised).
    const extreme = await tuned(photo, settings[1] as TuningValues, false);
    expect(extreme.includes(0) && extreme.includes(255)).toBe(true);
  });

  it("keep each caller's strips apart when tunings interleave", async () => {
    const a = noise(301, 200, 3, 8);
    const b = noise(97, 150, 3, 8);
    const v = { ...NEUTRAL_TUNING, sharpen: 0.5, contrast: 1.2 };
    const alone = [await tuned(a, v, true), await tuned(b, v, true)];
    // Both run at once: their strips alternate on the event loop.
    const together = await Promise.all([tuned(a, v, false), tuned(b, v, false)]);
    expect(maxDifference(together[0] as Uint8Array, alone[0] as Uint8Array)).toBe(0);
    expect(maxDifference(together[1] as Uint8Array, alone[1] as Uint8Array)).toBe(0);
  });

  it("compute Adler-32 as zlib does, across block sizes and continued over pieces", () => {
    const kernels = Kernels.acquire();
    try {
      const data = noise(70000, 1, 3, 8).data as Uint8Array;
      // All 255s: the largest sums, where a missed modulo would overflow.
      const white = new Uint8Array(200000).fill(255);
      const [at] = kernels.reserve([white.length]) as [number];
      for (const bytes of [white, data]) {
        kernels.bytes.set(bytes, at);
        for (const length of [0, 1, 15, 16, 17, 5536, 5537, 5552 * 3 + 7, bytes.length]) {
          expect(kernels.adler32(1, at, length), `${length} bytes`).toBe(
            zlibAdler(bytes.subarray(0, length)),
          );
        }
        const split = 12345;
        const first = kernels.adler32(1, at, split);
        expect(kernels.adler32(first, at + split, bytes.length - split)).toBe(zlibAdler(bytes));
      }
    } finally {
      kernels.release();
    }
  });

  it("Up-filter rows and count the 4-byte groups equal to the group above", () => {
    const kernels = Kernels.acquire();
    try {
      for (const rowBytes of [1, 4, 15, 16, 17, 36, 1353]) {
        const rows = 5;
        const img = noise(rowBytes, rows + 1, 1, 8).data as Uint8Array;
        // Row 2 repeats row 1 in its first half: runs there, and only there.
        img.copyWithin(2 * rowBytes, rowBytes, rowBytes + Math.floor(rowBytes / 2));
        const [input, out] = kernels.reserve([(rows + 1) * rowBytes, rows * (rowBytes + 1)]) as [
          number,
          number,
        ];
        kernels.bytes.set(img, input);
        const runs = kernels.filterUp8(input, out, rowBytes, rows);
        const filtered = kernels.bytes.slice(out, out + rows * (rowBytes + 1));
        let expectedRuns = 0;
        for (let y = 0; y < rows; y++) {
          const above = img.subarray(y * rowBytes, (y + 1) * rowBytes);
          const row = img.subarray((y + 1) * rowBytes, (y + 2) * rowBytes);
          expect(filtered[y * (rowBytes + 1)]).toBe(2);
          for (let i = 0; i < rowBytes; i++) {
            expect(filtered[y * (rowBytes + 1) + 1 + i]).toBe(
              ((row[i] as number) - (above[i] as number)) & 0xff,
            );
          }
          for (let g = 0; g + 4 <= rowBytes; g += 4) {
            let same = true;
            for (let k = 0; k < 4; k++) same &&= row[g + k] === above[g + k];
            if (same) expectedRuns++;
          }
        }
        expect(runs, `${rowBytes} bytes per row`).toBe(expectedRuns);
        if (rowBytes >= 8) expect(runs).toBeGreaterThan(0);
      }
    } finally {
      kernels.release();
    }
  });

  it("deflate by Huffman coding alone into streams zlib inflates, joined at sync flushes", async () => {
    const kernels = Kernels.acquire();
    const deflate = (bytes: Uint8Array, final: boolean): Buffer => {
      const [input, out] = kernels.reserve([bytes.length, kernels.huffmanBound(bytes.length)]) as [
        number,
        number,
      ];
      kernels.bytes.set(bytes, input);
      const length = kernels.deflateHuffman(input, bytes.length, out, final);
      return Buffer.from(kernels.bytes.subarray(out, out + length));
    };
    try {
      // Geometric frequencies (1, 1, 2, 3, 5, 8, ...): optimal codes would pass 15 bits, so the
      // length limit must fold them back.
      const skewed = new Uint8Array(150000);
      for (let i = 0, a = 1, b = 1, symbol = 0; i < skewed.length; symbol = (symbol + 1) % 40) {
        for (let k = 0; k < a && i < skewed.length; k++) skewed[i++] = symbol;
        [a, b] = [b, Math.min(a + b, 20000)];
      }
      const inputs = [
        new Uint8Array(0),
        new Uint8Array(1),
        new Uint8Array(200000).fill(7),
        noise(1000, 1, 1, 8).data as Uint8Array,
        noise(300000, 1, 3, 8).data as Uint8Array,
        skewed,
      ];
      for (const bytes of inputs) {
        expect(zlib.inflateRawSync(deflate(bytes, true)).equals(bytes)).toBe(true);
        // Two pieces, the first ending in a sync flush, make one stream.
        const half = bytes.length >> 1;
        const joined = Buffer.concat([
          deflate(bytes.subarray(0, half), false),
          deflate(bytes.subarray(half), true),
        ]);
        expect(zlib.inflateRawSync(joined).equals(bytes), `${bytes.length} bytes`).toBe(true);
      }
      // Random bytes cost 8 bits each (stored size plus block headers), never more.
      const random = inputs[4] as Uint8Array;
      expect(deflate(random, true).length).toBeLessThan(random.length * 1.002 + 64);
      // As small as zlib's own Huffman coding on a photo's Up-filtered rows.
      const photo = await decodeImage(readFileSync(fixturePath("chelsea.png")));
      const rowBytes = photo.width * 3;
      const [rowsIn, filteredAt] = kernels.reserve([
        (photo.height + 1) * rowBytes,
        photo.height * (rowBytes + 1),
      ]) as [number, number];
      kernels.bytes.fill(0, rowsIn, rowsIn + rowBytes);
      kernels.bytes.set(photo.data, rowsIn + rowBytes);
      kernels.filterUp8(rowsIn, filteredAt, rowBytes, photo.height);
      const filtered = kernels.bytes.slice(filteredAt, filteredAt + photo.height * (rowBytes + 1));
      const ours = deflate(filtered, true);
      const zlibs = zlib.deflateRawSync(filtered, { strategy: zlib.constants.Z_HUFFMAN_ONLY });
      expect(zlib.inflateRawSync(ours).equals(filtered)).toBe(true);
      expect(ours.length).toBeLessThan(zlibs.length * 1.01);
    } finally {
      kernels.release();
    }
  });
});
