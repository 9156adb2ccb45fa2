// Compressing one strip of a PNG's rows: the same function runs on the PNG writer's thread
// (png-thread.ts) and, for small images or past the thread's queue bound, on the caller's, so
// a file's bytes do not depend on where its strips were compressed.
import zlib from "node:zlib";
import type { Kernels } from "../kernels/index";

/**
 * Share of a strip's 4-byte groups equal to the group above (runs of unchanged bytes) above
 * which run-length matching beats Huffman coding alone. Measured on 256 KiB strips: upscaler
 * output of photos has 1-3% (Huffman alone 1-2% smaller), lanczos upscales of flat or synthetic
 * images 4% and up (run-length 4% to 10x smaller).
 */
const RUNS_FOR_RLE = 1 / 32;
/** Compressed bytes zlib hands back at a time. */
const ZLIB_CHUNK_BYTES = 128 * 1024;

export interface StripJob {
  /** The row above the strip's first (zeros at the top of the image), then its rows: bytes as
   * PNG stores them (16-bit samples big-endian). */
  rows: Uint8Array;
  rowBytes: number;
  rowCount: number;
  /** The image's last strip: its deflate stream ends; others end with a sync flush. */
  last: boolean;
  /** zlib level 0..9; at 1, Huffman coding alone or run-length matching (see PngOptions). */
  level: number;
  /** Whether Huffman coding alone may be chosen (8-bit samples). */
  huffmanAllowed: boolean;
}

export interface StripResult {
  /**
   * Raw deflate of the strip's filtered rows (concatenated in order, one stream), in an
   * ArrayBuffer of its own (transferable between threads).
   */
  compressed: Uint8Array;
  /** Adler-32 of the strip's filtered rows alone (adler32Combine joins them). */
  adler: number;
  /** Filtered bytes (rows with their filter bytes). */
  filteredBytes: number;
}

/**
 * Up-filters the strip's rows, takes their Adler-32, and compresses them: Huffman coding alone
 * in the kernels where the rows have few runs, else zlib (run-length matching at level 1).
 */
export function compressStrip(kernels: Kernels, job: StripJob): StripResult {
  const { rowBytes, rowCount } = job;
  const size = rowCount * (rowBytes + 1);
  const [rowsIn, filtered, coded] = kernels.reserve([
    (rowCount + 1) * rowBytes,
    size,
    kernels.huffmanBound(size),
  ]) as [number, number, number];
  kernels.bytes.set(job.rows.subarray(0, (rowCount + 1) * rowBytes), rowsIn);
  const runs = kernels.filterUp8(rowsIn, filtered, rowBytes, rowCount);
  const adler = kernels.adler32(1, filtered, size);
  if (job.level === 1 && job.huffmanAllowed && runs <= (RUNS_FOR_RLE * size) / 4) {
    const length = kernels.deflateHuffman(filtered, size, coded, job.last);
    return { compressed: kernels.bytes.slice(coded, coded + length), adler, filteredBytes: size };
  }
  const deflated = zlib.deflateRawSync(kernels.bytes.subarray(filtered, filtered + size), {
    level: job.level,
    strategy: job.level === 1 ? zlib.constants.Z_RLE : zlib.constants.Z_DEFAULT_STRATEGY,
    finishFlush: job.last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    chunkSize: ZLIB_CHUNK_BYTES,
  });
  // A copy of its own: zlib's result may share Node's buffer pool, which must not move threads.
  return { compressed: new Uint8Array(deflated), adler, filteredBytes: size };
}

const ADLER_MOD = 65521;

/** Adler-32 of two byte runs one after the other, from each one's own (zlib's adler32_combine). */
export function adler32Combine(first: number, second: number, secondLength: number): number {
  const rem = secondLength % ADLER_MOD;
  const a1 = first & 0xffff;
  const b1 = first >>> 16;
  const a = (a1 + (second & 0xffff) + ADLER_MOD - 1) % ADLER_MOD;
  const b = (((rem * a1) % ADLER_MOD) + b1 + (second >>> 16) + ADLER_MOD - rem) % ADLER_MOD;
  return ((b << 16) | a) >>> 0;
}
