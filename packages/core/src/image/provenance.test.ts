// Provenance is read back with sharp (libvips/libspng lists PNG text chunks as `comments`), not
// with a parser of ours, and the pixels are compared decoded, at 8 and 16 bits.
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodePng } from "./png";
import {
  itxtChunk,
  PROVENANCE_KEYWORD,
  PROVENANCE_SCHEMA,
  type ResultProvenance,
  readProvenance,
  withPngText,
  withProvenance,
} from "./provenance";
import type { RawImage } from "./types";

const provenance: ResultProvenance = {
  schema: PROVENANCE_SCHEMA,
  product: { name: "Vision Studio", version: "0.1.0" },
  pipeline: "core-3",
  taskKind: "super_resolution",
  output: "result",
  weight: { name: "动漫 x4", family: "realesr", version: "v3", sha256: "a".repeat(64) },
  signature: "b".repeat(64),
  params: { tile: 128, tuning: { preset: "gentle" } },
  tiling: { used: 128, tilesX: 2, tilesY: 1 },
  device: "cpu",
  input: { sha256: "c".repeat(64) },
};

function gradient(depth: 8 | 16, channels: RawImage["channels"]): RawImage {
  const width = 37;
  const height = 23;
  const n = width * height * channels;
  const data = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 2654435761) % (depth === 16 ? 65536 : 256);
  return { width, height, channels, depth, data };
}

const pixels = (png: Buffer) => sharp(png).raw({ depth: "ushort" }).toBuffer();

describe("provenance in PNG results", () => {
  it("is read back by sharp and leaves the pixels as they were", async () => {
    for (const [depth, channels] of [
      [8, 3],
      [16, 4],
      [8, 1],
    ] as const) {
      const png = await encodePng(gradient(depth, channels));
      const tagged = withProvenance(png, provenance);
      const meta = await sharp(tagged).metadata();
      expect(meta.comments).toEqual([
        { keyword: PROVENANCE_KEYWORD, text: JSON.stringify(provenance) },
      ]);
      expect(JSON.parse(meta.comments?.[0]?.text ?? "")).toEqual(provenance);
      expect(await readProvenance(tagged)).toEqual(provenance);
      expect(await readProvenance(png)).toBeNull();
      expect([meta.width, meta.height, meta.channels]).toEqual([37, 23, channels]);
      expect((await pixels(tagged)).equals(await pixels(png))).toBe(true);
      // The image data is carried over as it is: only the chunk was added.
      const chunk = itxtChunk(PROVENANCE_KEYWORD, JSON.stringify(provenance));
      expect(tagged.length).toBe(png.length + chunk.length);
      expect(tagged.subarray(33 + chunk.length).equals(png.subarray(33))).toBe(true);
    }
  });

  it("keeps several entries and refuses what is not a PNG or a keyword", async () => {
    const png = await encodePng(gradient(8, 3));
    const tagged = withPngText(png, { one: "1", "two words": "二" });
    expect((await sharp(tagged).metadata()).comments).toEqual([
      { keyword: "one", text: "1" },
      { keyword: "two words", text: "二" },
    ]);
    expect(() => withPngText(Buffer.from("GIF89a............................"), {})).toThrow(
      /not a PNG/,
    );
    for (const bad of ["", " lead", "trail ", "a  b", "x".repeat(80), "猫"]) {
      expect(() => itxtChunk(bad, "t")).toThrow(/keyword/);
    }
  });
});
