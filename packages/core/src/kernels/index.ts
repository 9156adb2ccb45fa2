// The hot loops of tuning and the PNG writer as WebAssembly with 128-bit SIMD (kernels.c, built
// by scripts/build-kernels.ts and embedded in kernels-wasm.ts). JavaScript has no SIMD and V8
// compiles these loops to scalar code; no maintained package does a luma sharpen in doubles or
// a PNG Up filter with Adler-32 over caller-owned strips, so they are written here. Each
// instance has its own memory; the caller copies rows in and results out.
import { KERNELS_WASM_BASE64 } from "./kernels-wasm";

/** The part of the WebAssembly API used here (@types/node 20 does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  __heap_base: { value: number };
  sharpen3_strip(
    src: number,
    luma: number,
    across: number,
    out: number,
    wide: number,
    width: number,
    rows: number,
    carried: number,
    outRows: number,
    kSide: number,
    kCentre: number,
    kc: number,
    ky: number,
    kb: number,
    offset: number,
  ): void;
  filter_up8(rowsIn: number, out: number, rowBytes: number, rows: number): number;
  adler32(adler: number, at: number, length: number): number;
  deflate_huffman(at: number, length: number, out: number, final: number): number;
  huffman_bound(length: number): number;
}

const PAGE_BYTES = 65536;
/** Regions start on 16-byte boundaries (SIMD loads and stores). */
const ALIGN = 16;
/** Instances kept for reuse: one per concurrent tuning or PNG strip, rarely more than two. */
const MAX_IDLE = 4;

let compiled: object | undefined;
const idle: Kernels[] = [];

/** One instance of the kernels with its own memory, used by one caller at a time. */
export class Kernels {
  private readonly exports: KernelExports;
  private readonly heapBase: number;
  private view = new Uint8Array(0);

  private constructor() {
    compiled ??= new wasm.Module(Buffer.from(KERNELS_WASM_BASE64, "base64"));
    this.exports = new wasm.Instance(compiled, {}).exports as KernelExports;
    this.heapBase = this.exports.__heap_base.value;
  }

  /** An idle instance, or a new one; hand it back with release(). */
  static acquire(): Kernels {
    return idle.pop() ?? new Kernels();
  }

  release(): void {
    if (idle.length < MAX_IDLE && !idle.includes(this)) idle.push(this);
  }

  /**
   * Lays out regions of `sizes` bytes one after another and returns their offsets, growing the
   * memory as needed (which invalidates earlier views: take `bytes` afterwards).
   */
  reserve(sizes: number[]): number[] {
    let at = this.heapBase;
    const offsets = sizes.map((size) => {
      const start = Math.ceil(at / ALIGN) * ALIGN;
      at = start + size;
      return start;
    });
    const memory = this.exports.memory;
    if (at > memory.buffer.byteLength) {
      memory.grow(Math.ceil((at - memory.buffer.byteLength) / PAGE_BYTES));
    }
    return offsets;
  }

  /** The instance's memory as bytes. */
  get bytes(): Uint8Array {
    const buffer = this.exports.memory.buffer;
    if (this.view.buffer !== buffer) this.view = new Uint8Array(buffer);
    return this.view;
  }

  /**
   * The default tuning (luma sharpen with a 3-tap blur, saturation, contrast, brightness) of one
   * strip of 8-bit RGB rows; see sharpen3_strip in kernels.c for the memory it works on.
   */
  sharpen3Strip(
    at: { src: number; luma: number; across: number; out: number; wide: number },
    width: number,
    rows: number,
    carried: number,
    outRows: number,
    blur: { side: number; centre: number },
    k: { kc: number; ky: number; kb: number; offset: number },
  ): void {
    this.exports.sharpen3_strip(
      at.src,
      at.luma,
      at.across,
      at.out,
      at.wide,
      width,
      rows,
      carried,
      outRows,
      blur.side,
      blur.centre,
      k.kc,
      k.ky,
      k.kb,
      k.offset,
    );
  }

  /**
   * PNG Up filter of `rows` rows at `rowsIn` (the row above the first, or zeros, then the rows)
   * into `out`, each row led by its filter byte. Returns the 4-byte groups equal to the group
   * above.
   */
  filterUp8(rowsIn: number, out: number, rowBytes: number, rows: number): number {
    return this.exports.filter_up8(rowsIn, out, rowBytes, rows) >>> 0;
  }

  /** Adler-32 of `length` bytes at `at`, continued from `adler` (1 to start). */
  adler32(adler: number, at: number, length: number): number {
    return this.exports.adler32(adler, at, length) >>> 0;
  }

  /**
   * Raw deflate of `length` bytes at `at` into `out` by Huffman coding alone; `final` ends the
   * stream, else it ends with a sync flush (see deflate_huffman in kernels.c). Returns the bytes
   * written; `out` needs huffmanBound(length).
   */
  deflateHuffman(at: number, length: number, out: number, final: boolean): number {
    return this.exports.deflate_huffman(at, length, out, final ? 1 : 0) >>> 0;
  }

  /** The most bytes deflateHuffman writes for `length` bytes. */
  huffmanBound(length: number): number {
    return this.exports.huffman_bound(length) >>> 0;
  }
}
