import type { RawImage } from "../image/types";
import type { Rect } from "../tensor/index";

interface Entry {
  key: string;
  /** Input-space rect the image covers. */
  rect: Rect;
  scale: number;
  image: RawImage;
}

const contains = (outer: Rect, inner: Rect) =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.width <= outer.x + outer.width &&
  inner.y + inner.height <= outer.y + outer.height;

/**
 * Values kept within a byte bound, the least recently used going first once the bound is passed
 * (a Map's insertion order is the recency order). A value larger than the whole bound is not kept.
 * The preview process's caches (the model output below, decoded images) are built on it.
 */
export class ByteBoundedLru<K, V> {
  readonly #entries = new Map<K, { value: V; bytes: number }>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`, now the most recently used. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** A value `match` accepts, now the most recently used. */
  find(match: (value: V) => boolean): V | undefined {
    for (const [key, entry] of this.#entries) if (match(entry.value)) return this.get(key);
    return undefined;
  }

  /** Keeps `value` (of `bytes`) under `key`; false when it is larger than the whole bound. */
  set(key: K, value: V, bytes: number): boolean {
    if (bytes > this.maxBytes) return false;
    this.delete(key);
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [old, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(old);
      this.#bytes -= entry.bytes;
    }
    return true;
  }

  delete(key: K): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  /** Drops every value `match` accepts. */
  deleteWhere(match: (value: V) => boolean): void {
    for (const [key, entry] of this.#entries) if (match(entry.value)) this.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

/**
 * The model's output (quantised, before tuning) for crops of images, so that a preview whose
 * only change is its tuning skips the model. An entry answers any rect inside the one it was
 * computed for: a pixel's value depends only on the full image's tile grid (tiling/run.ts), which
 * is part of the key. Least recently used entries go first once the bytes exceed the bound.
 * Looked up by containment (any rect inside the one an entry holds), which keyed LRU libraries
 * (lru-cache and the like) do not look up by.
 */
export class ModelOutputCache {
  readonly #entries: ByteBoundedLru<number, Entry>;
  #next = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {
    this.#entries = new ByteBoundedLru(maxBytes);
  }

  get bytes(): number {
    return this.#entries.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A copy (the caller may tune it in place) of `rect`'s output, or undefined. */
  get(key: string, rect: Rect): RawImage | undefined {
    const entry = this.#entries.find((e) => e.key === key && contains(e.rect, rect));
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return copyRect(entry, rect);
  }

  /** Keeps `image`, the output for input rect `rect` at `scale` (the caller hands it over). */
  set(key: string, rect: Rect, scale: number, image: RawImage): void {
    const size = image.data.byteLength;
    if (size > this.maxBytes) return;
    // A new entry that covers an old one of the same key replaces it.
    this.#entries.deleteWhere((e) => e.key === key && contains(rect, e.rect));
    this.#entries.set(this.#next++, { key, rect: { ...rect }, scale, image }, size);
  }

  clear(): void {
    this.#entries.clear();
  }
}

function copyRect(entry: Entry, rect: Rect): RawImage {
  return cutOutput(entry.image, entry.scale, entry.rect, rect);
}

/** A copy of input rect `rect`'s part of `image`, the output at `scale` for input rect `from`. */
export function cutOutput(image: RawImage, scale: number, from: Rect, rect: Rect): RawImage {
  const c = image.channels;
  const w = rect.width * scale;
  const h = rect.height * scale;
  const x0 = (rect.x - from.x) * scale;
  const y0 = (rect.y - from.y) * scale;
  const data = image.depth === 16 ? new Uint16Array(w * h * c) : new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const s = ((y0 + y) * image.width + x0) * c;
    data.set(image.data.subarray(s, s + w * c), y * w * c);
  }
  return { ...image, width: w, height: h, data };
}
