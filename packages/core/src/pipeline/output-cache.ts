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
 * The model's output (quantised, before tuning) for crops of images, so that a preview whose
 * only change is its tuning skips the model. An entry answers any rect inside the one it was
 * computed for: a pixel's value depends only on the full image's tile grid (tiling/run.ts), which
 * is part of the key. Least recently used entries go first once the bytes exceed the bound.
 * Hand-written on Map's insertion order: an entry is found by containment (any rect inside the
 * one it holds), which keyed LRU libraries (lru-cache and the like) do not look up by.
 */
export class ModelOutputCache {
  readonly #entries = new Map<number, Entry>();
  #next = 0;
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A copy (the caller may tune it in place) of `rect`'s output, or undefined. */
  get(key: string, rect: Rect): RawImage | undefined {
    for (const [id, entry] of this.#entries) {
      if (entry.key !== key || !contains(entry.rect, rect)) continue;
      this.#entries.delete(id);
      this.#entries.set(id, entry);
      this.hits++;
      return copyRect(entry, rect);
    }
    this.misses++;
    return undefined;
  }

  /** Keeps `image`, the output for input rect `rect` at `scale` (the caller hands it over). */
  set(key: string, rect: Rect, scale: number, image: RawImage): void {
    const size = image.data.byteLength;
    if (size > this.maxBytes) return;
    for (const [id, entry] of this.#entries) {
      // A new entry that covers an old one of the same key replaces it.
      if (entry.key === key && contains(rect, entry.rect)) this.#drop(id, entry);
    }
    this.#entries.set(this.#next++, { key, rect: { ...rect }, scale, image });
    this.#bytes += size;
    for (const [id, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(id, entry);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #drop(id: number, entry: Entry): void {
    this.#entries.delete(id);
    this.#bytes -= entry.image.data.byteLength;
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
