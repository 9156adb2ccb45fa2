// Provenance inside a result file: what made it (product, weight, parameters, tile plan,
// device, input), so a file found on a disk months later still says where it came from.
// In PNG it is one iTXt chunk (UTF-8 text; tEXt is Latin-1 only and weight names may be
// Chinese) with the keyword below and the JSON as its text. Text chunks are ancillary: decoders
// that do not know them skip them, and the pixels are untouched.
//
// Hand-written: adding one chunk to a finished PNG is a splice and a CRC. sharp (libvips) can
// write PNG text only by encoding the image again, single-threaded, which is what PngWriter
// exists to avoid; npm's chunk packages (png-chunks-*) bring nothing for this.
import zlib from "node:zlib";
import sharp from "sharp";
import { PROVENANCE_KEYWORD, parseProvenance, type ResultProvenance } from "./provenance-read";
import { readXmpProvenance } from "./xmp";

export {
  PROVENANCE_KEYWORD,
  PROVENANCE_SCHEMA,
  type ResultProvenance,
} from "./provenance-read";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC). */
const AFTER_IHDR = 8 + 25;

/** One PNG chunk: length, type, data, CRC-32 of type and data. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, "latin1");
  data.copy(chunk, 8);
  // zlib.crc32 is built into Node since 20.15 (the root package.json asks for that).
  chunk.writeUInt32BE(zlib.crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/** An uncompressed iTXt chunk: keyword, NUL, flag 0, method 0, no language, no translation. */
export function itxtChunk(keyword: string, text: string): Buffer {
  if (!/^[\x21-\x7e](?:[\x20-\x7e]{0,77}[\x21-\x7e])?$/.test(keyword) || keyword.includes("  ")) {
    throw new RangeError(`not a PNG text keyword: ${JSON.stringify(keyword)}`);
  }
  const data = Buffer.concat([
    Buffer.from(keyword, "latin1"),
    Buffer.from([0, 0, 0, 0, 0]),
    Buffer.from(text, "utf8"),
  ]);
  return pngChunk("iTXt", data);
}

/**
 * The PNG with text chunks added right after IHDR: ahead of the image data, where readers
 * that stop at the first IDAT (libspng, so sharp's `metadata()`) still see them. The image
 * data is copied as it is, so the pixels cannot change.
 */
export function withPngText(png: Uint8Array, entries: Record<string, string>): Buffer {
  const chunks = Object.entries(entries).map(([keyword, text]) => itxtChunk(keyword, text));
  return withPngChunks(png, chunks);
}

/** The PNG with its provenance (JSON in the `vision-studio:provenance` iTXt chunk). */
export function withProvenance(png: Uint8Array, provenance: ResultProvenance): Buffer {
  return withPngText(png, { [PROVENANCE_KEYWORD]: JSON.stringify(provenance) });
}

/**
 * The PNG with chunks added right after IHDR (ahead of the image data, where readers that stop
 * at the first IDAT still see them); the image data is copied as it is.
 */
export function withPngChunks(png: Uint8Array, chunks: Buffer[]): Buffer {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (
    bytes.length < AFTER_IHDR ||
    !bytes.subarray(0, 8).equals(PNG_SIGNATURE) ||
    bytes.toString("latin1", 12, 16) !== "IHDR" ||
    bytes.readUInt32BE(8) !== 13
  ) {
    throw new Error("not a PNG file (no signature and IHDR at its start)");
  }
  return Buffer.concat([bytes.subarray(0, AFTER_IHDR), ...chunks, bytes.subarray(AFTER_IHDR)]);
}

/**
 * The provenance a result file carries (PNG iTXt, or XMP in the other formats), or null when it
 * has none. Read by sharp (libvips), not by the code above, so a writer's mistake is not
 * mirrored by its reader.
 */
export async function readProvenance(file: Uint8Array): Promise<ResultProvenance | null> {
  const { comments, xmp } = await sharp(file).metadata();
  const text = comments?.find((c) => c.keyword === PROVENANCE_KEYWORD)?.text;
  if (text !== undefined) return parseProvenance(text);
  return readXmpProvenance(xmp);
}
