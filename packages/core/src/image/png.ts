// A PNG writer that takes an image in strips of rows and compresses each strip as soon as it
// arrives, on compression threads of their own for large images (strip-thread.ts), so it runs on
// the other core while the caller is still producing the next rows (tuning). sharp's PNG save is
// one thread, needs the finished image first and takes zlib's time.
//
// How strips become one PNG: each strip is filtered ("Up": byte minus the byte above, which
// suits the smooth output of upscalers and masks) and compressed as raw deflate on its own
// (png-strip.ts); every strip but the last ends with a sync flush (byte-aligned, not final), so
// the pieces concatenate into one valid deflate stream. The zlib header and the Adler-32 of all
// filtered bytes (joined from each strip's) wrap it, and each piece is written as its own IDAT
// chunk (PNG decoders join them).
//
// At the default level each 8-bit strip picks its coding from what filtering saw: Huffman
// coding alone for strips with few runs (photos and their upscales: as small as run-length
// matching, and our WebAssembly coder takes 2 ns a byte where zlib's takes 5), run-length
// matching by zlib where runs of unchanged bytes are common (flat art, text, masks), which
// Huffman coding alone cannot shorten.
import zlib from "node:zlib";
import { Kernels } from "../kernels/index";
import { adler32Combine, compressStrip, type StripJob, type StripResult } from "./png-strip";
import { compressOnThread, startCompressionThreads } from "./strip-thread";
import type { RawImage } from "./types";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Deflate with a 32 KiB window, no preset dictionary (CMF/FLG check bits valid). */
const ZLIB_HEADER = Buffer.from([0x78, 0x01]);
const COLOR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;
/** Uncompressed bytes per strip. */
const STRIP_BYTES = 256 * 1024;
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/**
 * Images with fewer bytes of rows compress on the calling thread: sending strips to the
 * compression threads and back costs more than it saves on a preview-sized image (3 MB).
 */
const THREAD_MIN_BYTES = 4 * 1024 * 1024;

/** zlib level of result PNGs: Huffman coding or run-length deflate, see PngOptions. */
export const DEFAULT_PNG_LEVEL = 1;

export interface PngOptions {
  /**
   * zlib level 0..9; lossless at every level. 1 (the default) uses run-length matching only, or
   * Huffman coding alone on strips without runs (see the top of this file): on filtered
   * upscaler output as small as full deflate at level 1 and several times faster.
   */
  compressionLevel?: number;
  /**
   * Rows waiting for the compression threads at most (default 32 MiB); past it, strips are
   * compressed on the calling thread, so memory stays bounded on any image size.
   */
  maxQueuedBytes?: number;
  /**
   * Compress on the compression threads (default: images of 4 MiB of rows and more) or on the
   * calling thread. The file is the same either way.
   */
  thread?: boolean;
}

type Shape = Pick<RawImage, "width" | "height" | "channels" | "depth">;

export class PngWriter {
  /** Each strip's compressed bytes, in order. */
  private readonly pieces: Promise<StripResult>[] = [];
  private readonly rowBytes: number;
  private readonly threaded: boolean;
  private nextRow = 0;
  /** First row not yet compressed. */
  private pendingFrom = 0;
  /** Rows handed to the compression threads and not yet back. */
  private queuedBytes = 0;
  /**
   * Strip buffers back from compression, for the next strips: fresh memory costs a page fault
   * per 4 KiB on first write, which on a VM costs more than copying the rows.
   */
  private readonly spare: Uint8Array[] = [];

  constructor(
    private readonly shape: Shape,
    private readonly options: PngOptions = {},
  ) {
    this.rowBytes = shape.width * shape.channels * (shape.depth / 8);
    this.threaded = options.thread ?? this.rowBytes * shape.height >= THREAD_MIN_BYTES;
    if (this.threaded) startCompressionThreads();
  }

  /**
   * Rows [y0, y1) of the final image in `data` (the whole image's interleaved samples). Rows
   * come in order and must keep their values until finish(): a strip's rows and the row above
   * it are copied when the strip is complete.
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
    const rowBytes = this.rowBytes;
    const rows = this.stripBuffer((y1 - y0 + 1) * rowBytes);
    // The row above the first (zeros above the image), then the strip's rows, as PNG stores
    // them: 16-bit samples big-endian.
    const from = Math.max(0, y0 - 1);
    const at = y0 > 0 ? 0 : rowBytes;
    if (y0 === 0) rows.fill(0, 0, rowBytes);
    if (data instanceof Uint16Array) {
      const samples = rowBytes / 2;
      for (let i = from * samples, o = at; i < y1 * samples; i++, o += 2) {
        const v = data[i] as number;
        rows[o] = v >>> 8;
        rows[o + 1] = v & 0xff;
      }
    } else {
      rows.set(data.subarray(from * rowBytes, y1 * rowBytes), at);
    }
    const job: StripJob = {
      rows,
      rowBytes,
      rowCount: y1 - y0,
      last,
      level: this.options.compressionLevel ?? DEFAULT_PNG_LEVEL,
      // 16-bit strips keep run-length matching: their low bytes are noise, their high bytes runs.
      huffmanAllowed: !(data instanceof Uint16Array),
    };
    // Strips wait in memory until compressed, and answers are only counted when the event loop
    // runs: past the bound, compress here instead (a copy of a whole large image would
    // otherwise pile up while the caller is still producing rows).
    const queued = this.queuedBytes + rows.byteLength;
    if (this.threaded && queued <= (this.options.maxQueuedBytes ?? MAX_QUEUED_BYTES)) {
      this.queuedBytes = queued;
      const piece = compressOnThread(job).then(({ result, rows: back }) => {
        this.queuedBytes -= back.byteLength;
        this.spare.push(back);
        return result;
      });
      // finish() reports a failure; a writer given up before it (its caller failed) must not
      // leave an unhandled rejection behind, which would end the process.
      piece.catch(() => undefined);
      this.pieces.push(piece);
      return;
    }
    const kernels = Kernels.acquire();
    try {
      this.pieces.push(Promise.resolve(compressStrip(kernels, job)));
    } finally {
      kernels.release();
    }
    this.spare.push(rows);
  }

  /** A buffer of `size` bytes for a strip's rows, reusing one whose strip is compressed. */
  private stripBuffer(size: number): Uint8Array {
    // Each buffer owns its whole ArrayBuffer (it may move to the compression thread and back),
    // so a reused one may grow back to its full length.
    const i = this.spare.findIndex((b) => b.buffer.byteLength >= size);
    if (i < 0) return new Uint8Array(size);
    const [reused] = this.spare.splice(i, 1) as [Uint8Array];
    return new Uint8Array(reused.buffer, 0, size);
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
    adler.writeUInt32BE(
      pieces.reduce((sum, piece) => adler32Combine(sum, piece.adler, piece.filteredBytes), 1),
    );
    const chunks: [string, Uint8Array[]][] = [
      ["IHDR", [header]],
      ["IDAT", [ZLIB_HEADER]],
      ...pieces.map((piece): [string, Uint8Array[]] => ["IDAT", [piece.compressed]]),
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

/** Length, type, data (in parts), CRC of type and data; returns the offset after the chunk. */
function writeChunk(png: Buffer, at: number, type: string, parts: Uint8Array[]): number {
  png.write(type, at + 4, "latin1");
  let end = at + 8;
  for (const part of parts) {
    png.set(part, end);
    end += part.length;
  }
  png.writeUInt32BE(end - at - 8, at);
  // zlib.crc32 is built into Node since 20.15 (the root package.json asks for that).
  png.writeUInt32BE(zlib.crc32(png.subarray(at + 4, end)), end);
  return end + 4;
}
