// A PNG writer that takes an image in strips of rows and deflates each strip on libuv's thread
// pool as soon as it arrives, so compression runs on other cores while the caller is still
// producing the next rows (tuning), and a whole image compresses on several cores at once.
// sharp's PNG save is one thread and needs the finished image first.
//
// How strips become one PNG: each strip is filtered ("Up": byte minus the byte above, which
// suits the smooth output of upscalers and masks) and compressed as raw deflate on its own;
// every strip but the last ends with a sync flush (byte-aligned, not final), so the pieces
// concatenate into one valid deflate stream. The zlib header and the Adler-32 of all filtered
// bytes wrap it, and each piece is written as its own IDAT chunk (PNG decoders join them).
//
// At the default level each 8-bit strip picks its deflate strategy from what filtering saw:
// Huffman coding alone for strips with few runs (photos and their upscales: as small as
// run-length matching and about twice as fast), run-length matching where runs of unchanged
// bytes are common (flat art, text, masks), which Huffman coding alone cannot shorten.
import zlib from "node:zlib";
import type { RawImage } from "./types";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Deflate with a 32 KiB window, no preset dictionary (CMF/FLG check bits valid). */
const ZLIB_HEADER = Buffer.from([0x78, 0x01]);
const COLOR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;
const FILTER_UP = 2;
const ADLER_MOD = 65521;
/** Uncompressed bytes per strip (each deflate call sets up a fresh compressor). */
const STRIP_BYTES = 256 * 1024;
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** Compressed bytes zlib hands back at a time (measured: faster than one chunk per strip). */
const OUTPUT_CHUNK_BYTES = 128 * 1024;
/**
 * Share of a strip's filtered 4-byte groups that are all zero (runs of unchanged bytes) above
 * which run-length matching beats Huffman coding alone. Measured on 256 KiB strips: upscaler
 * output of photos has 1-3% (Huffman alone 1-2% smaller), lanczos upscales of flat or synthetic
 * images 4% and up (run-length 4% to 10x smaller).
 */
const RUNS_FOR_RLE = 1 / 32;

/** zlib level of result PNGs: run-length deflate, see PngOptions. */
export const DEFAULT_PNG_LEVEL = 1;

export interface PngOptions {
  /**
   * zlib level 0..9; lossless at every level. 1 (the default) uses run-length matching only, or
   * Huffman coding alone on strips without runs (see the top of this file): on filtered
   * upscaler output as small as full deflate at level 1 and two to three times faster.
   */
  compressionLevel?: number;
  /**
   * Filtered bytes waiting for the thread pool at most (default 32 MiB); past it, strips are
   * compressed on the calling thread, so memory stays bounded on any image size.
   */
  maxQueuedBytes?: number;
}

type Shape = Pick<RawImage, "width" | "height" | "channels" | "depth">;

export class PngWriter {
  /** Each strip's compressed bytes, in the output chunks zlib gave them in. */
  private readonly pieces: Promise<Buffer[]>[] = [];
  private readonly rowBytes: number;
  private nextRow = 0;
  /** First row not yet compressed. */
  private pendingFrom = 0;
  private adlerA = 1;
  private adlerB = 0;
  /** Filtered bytes handed to the thread pool and not yet compressed. */
  private queuedBytes = 0;
  /**
   * Filtered-strip buffers whose compression is done, for the next strips: fresh memory costs
   * a page fault per 4 KiB on first write, which on a VM costs more than the filter itself.
   */
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly shape: Shape,
    private readonly options: PngOptions = {},
  ) {
    this.rowBytes = shape.width * shape.channels * (shape.depth / 8);
  }

  /**
   * Rows [y0, y1) of the final image in `data` (the whole image's interleaved samples). Rows
   * come in order and must keep their values until finish(): they are read when their strip
   * is compressed, and the filter reads each row's predecessor.
   */
  addRows(data: RawImage["data"], y0: number, y1: number): void {
    if (y0 !== this.nextRow || y1 <= y0 || y1 > this.shape.height) {
      throw new Error(
        `PNG rows must come in order: expected row ${this.nextRow}, got ${y0}..${y1}`,
      );
    }
    this.nextRow = y1;
    const last = y1 === this.shape.height;
    if (!last && (y1 - this.pendingFrom) * this.rowBytes < STRIP_BYTES) return;
    this.compress(data, this.pendingFrom, y1, last);
    this.pendingFrom = y1;
  }

  private compress(data: RawImage["data"], y0: number, y1: number, last: boolean): void {
    const filtered = this.filteredBuffer((y1 - y0) * (this.rowBytes + 1));
    const samples = this.shape.width * this.shape.channels;
    // 16-bit strips count no runs and keep run-length matching.
    let runs = data instanceof Uint16Array ? Number.POSITIVE_INFINITY : 0;
    for (let y = y0; y < y1; y++) {
      const at = (y - y0) * (this.rowBytes + 1);
      filtered[at] = FILTER_UP;
      if (data instanceof Uint16Array)
        filterUp16(data, y * samples, samples, y > 0, filtered, at + 1);
      else runs += filterUp8(data, y * samples, samples, y > 0, filtered, at + 1);
    }
    this.updateAdler(filtered);
    const level = this.options.compressionLevel ?? DEFAULT_PNG_LEVEL;
    const strategy =
      level !== 1
        ? zlib.constants.Z_DEFAULT_STRATEGY
        : runs > (RUNS_FOR_RLE * filtered.length) / 4
          ? zlib.constants.Z_RLE
          : zlib.constants.Z_HUFFMAN_ONLY;
    const options = {
      level,
      strategy,
      finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
      // Node's zlib goes back to the event loop after every full output chunk; callers let it
      // run between strips (applyTuning, encodePng). Chunks as large as a whole strip's output
      // cost more: each is fresh memory, set up on this thread for every strip.
      chunkSize: OUTPUT_CHUNK_BYTES,
    };
    // Filtered strips wait in memory until compressed, and completions are only counted when
    // the event loop runs: past the bound, compress here instead (a copy of a whole large
    // image would otherwise pile up while the caller is still producing rows).
    if (this.queuedBytes + filtered.length > (this.options.maxQueuedBytes ?? MAX_QUEUED_BYTES)) {
      this.pieces.push(Promise.resolve([zlib.deflateRawSync(filtered, options)]));
      this.spare.push(filtered);
      return;
    }
    this.queuedBytes += filtered.length;
    // A stream rather than zlib.deflateRaw, which would join the output chunks into one more
    // buffer: finish() copies them into the file as they are.
    this.pieces.push(
      new Promise((resolve, reject) => {
        const parts: Buffer[] = [];
        const deflate = zlib.createDeflateRaw(options);
        deflate.on("data", (part: Buffer) => parts.push(part));
        deflate.on("error", reject);
        deflate.on("end", () => {
          this.queuedBytes -= filtered.length;
          this.spare.push(filtered);
          resolve(parts);
        });
        deflate.end(filtered);
      }),
    );
  }

  /** A buffer of `size` bytes for filtered rows, reusing one whose strip is compressed. */
  private filteredBuffer(size: number): Buffer {
    // Each from allocUnsafeSlow owns its whole ArrayBuffer (never a slice of Node's shared
    // pool), so a reused one may grow back to its full length.
    const i = this.spare.findIndex((b) => b.buffer.byteLength >= size);
    if (i < 0) return Buffer.allocUnsafeSlow(size);
    const [reused] = this.spare.splice(i, 1) as [Buffer];
    return Buffer.from(reused.buffer, 0, size);
  }

  /** The PNG file, once every row was added. */
  async finish(): Promise<Buffer> {
    if (this.nextRow !== this.shape.height) {
      throw new Error(`PNG has ${this.nextRow} of ${this.shape.height} rows`);
    }
    const pieces = await Promise.all(this.pieces);
    const { width, height, channels, depth } = this.shape;
    const header = Buffer.alloc(13);
    header.writeUInt32BE(width, 0);
    header.writeUInt32BE(height, 4);
    header.writeUInt8(depth, 8);
    header.writeUInt8(COLOR_TYPE[channels], 9);
    // Compression 0 (deflate), filter method 0, no interlace: bytes 10..12 stay 0.
    const adler = Buffer.alloc(4);
    adler.writeUInt32BE(((this.adlerB << 16) | this.adlerA) >>> 0);
    const chunks: [string, Buffer[]][] = [
      ["IHDR", [header]],
      ["IDAT", [ZLIB_HEADER]],
      ...pieces.map((parts): [string, Buffer[]] => ["IDAT", parts]),
      ["IDAT", [adler]],
      ["IEND", []],
    ];
    const size = chunks.reduce(
      (sum, [, parts]) => parts.reduce((n, part) => n + part.length, sum + 12),
      SIGNATURE.length,
    );
    const png = Buffer.allocUnsafe(size);
    let at = SIGNATURE.copy(png, 0);
    for (const [type, data] of chunks) at = writeChunk(png, at, type, data);
    return png;
  }

  /** Adler-32 of the zlib stream, continued over `bytes`. */
  private updateAdler(bytes: Uint8Array): void {
    let a = this.adlerA;
    let b = this.adlerB;
    let i = 0;
    for (; i < bytes.length && (bytes.byteOffset + i) % 4 !== 0; i++) {
      a = (a + (bytes[i] as number)) % ADLER_MOD;
      b = (b + a) % ADLER_MOD;
    }
    // Four bytes per step (little-endian words): after 256 words the sums still fit in int32.
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (bytes.length - i) >> 2);
    for (let w = 0; w < words.length; ) {
      const end = Math.min(words.length, w + 256);
      for (; w < end; w++) {
        const x = words[w] as number;
        const c0 = x & 0xff;
        const c1 = (x >>> 8) & 0xff;
        const c2 = (x >>> 16) & 0xff;
        const c3 = x >>> 24;
        b = (b + 4 * a + 4 * c0 + 3 * c1 + 2 * c2 + c3) | 0;
        a = (a + c0 + c1 + c2 + c3) | 0;
      }
      a %= ADLER_MOD;
      b %= ADLER_MOD;
    }
    for (i += words.length * 4; i < bytes.length; i++) {
      a = (a + (bytes[i] as number)) % ADLER_MOD;
      b = (b + a) % ADLER_MOD;
    }
    this.adlerA = a;
    this.adlerB = b;
  }
}

/** Lossless PNG at the image's own bit depth (8 or 16) and channel count. */
export async function encodePng(img: RawImage, options: PngOptions = {}): Promise<Buffer> {
  const writer = new PngWriter(img, options);
  const rowBytes = img.width * img.channels * (img.depth / 8);
  const rowsPerStrip = Math.ceil(STRIP_BYTES / rowBytes);
  for (let y = 0; y < img.height; y += rowsPerStrip) {
    writer.addRows(img.data, y, Math.min(img.height, y + rowsPerStrip));
    // Finished strips leave the queue only when the event loop runs: without this, a large
    // image would pass the queue bound and compress its last strips on this thread.
    if (y + rowsPerStrip < img.height) await yieldToEventLoop();
  }
  return writer.finish();
}

/** Lets I/O callbacks (finished compressions) run before the caller goes on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Up-filters one row; returns how many of its 4-byte groups filtered to all zeros (runs). */
function filterUp8(
  data: Uint8Array,
  from: number,
  count: number,
  hasAbove: boolean,
  out: Buffer,
  to: number,
): number {
  if (!hasAbove) {
    out.set(data.subarray(from, from + count), to);
    return 0;
  }
  const above = from - count;
  const start = data.byteOffset + above;
  if (start % 4 === 0 && count % 4 === 0) {
    // Four bytes per step; the destination (after a filter byte) is never aligned, so the
    // words go through an aligned scratch row and one copy.
    const words = count / 4;
    const scratch = scratchRow(words);
    const prev = new Uint32Array(data.buffer, start, words);
    const cur = new Uint32Array(data.buffer, start + count, words);
    let runs = 0;
    for (let i = 0; i < words; i++) {
      const x = cur[i] as number;
      const y = prev[i] as number;
      runs += x === y ? 1 : 0;
      // Byte-wise x - y modulo 256 without borrows crossing bytes.
      scratch[i] = ((x | 0x80808080) - (y & 0x7f7f7f7f)) ^ ((x ^ ~y) & 0x80808080);
    }
    out.set(new Uint8Array(scratch.buffer, 0, count), to);
    return runs;
  }
  // Uint8 stores wrap modulo 256, as the filter wants.
  let runs = 0;
  let zeros = 0;
  for (let i = 0; i < count; i++) {
    const d = (data[from + i] as number) - (data[above + i] as number);
    out[to + i] = d;
    zeros = d === 0 ? zeros + 1 : 0;
    if (zeros === 4) {
      runs++;
      zeros = 0;
    }
  }
  return runs;
}

let scratch = new Uint32Array(0);

function scratchRow(words: number): Uint32Array {
  if (scratch.length < words) scratch = new Uint32Array(words);
  return scratch;
}

/** 16-bit samples are big-endian in PNG; the filter works on those bytes. */
function filterUp16(
  data: Uint16Array,
  from: number,
  count: number,
  hasAbove: boolean,
  out: Buffer,
  to: number,
): void {
  const above = from - count;
  for (let i = 0, o = to; i < count; i++, o += 2) {
    const v = data[from + i] as number;
    const p = hasAbove ? (data[above + i] as number) : 0;
    out[o] = (v >>> 8) - (p >>> 8);
    out[o + 1] = (v & 0xff) - (p & 0xff);
  }
}

/** Length, type, data (in parts), CRC of type and data; returns the offset after the chunk. */
function writeChunk(png: Buffer, at: number, type: string, parts: Buffer[]): number {
  png.write(type, at + 4, "latin1");
  let end = at + 8;
  for (const part of parts) end += part.copy(png, end);
  png.writeUInt32BE(end - at - 8, at);
  // zlib.crc32 is built into Node since 20.15 (the root package.json asks for that).
  png.writeUInt32BE(zlib.crc32(png.subarray(at + 4, end)), end);
  return end + 4;
}
