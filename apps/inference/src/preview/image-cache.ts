// Decoded images kept by a preview process (child.ts). Previews of one image come in runs (a
// slider dragged, the crop moved): reading and decoding the whole source file for each one
// took 15-30 ms for a 1024 px PNG here (up to 200 ms on a busy machine), a large share of a
// slider change answered from the model output cache. Bounded by bytes, least recently used
// first out, beside that cache.
import type { RawImage } from "@studio/core/image";
import { ByteBoundedLru } from "@studio/core/pipeline";

export class DecodedImageCache {
  readonly #images: ByteBoundedLru<string, RawImage>;

  constructor(readonly maxBytes: number) {
    this.#images = new ByteBoundedLru(maxBytes);
  }

  /**
   * The image under `key`, decoded by `decode` when it is not here. Shared, not copied: the
   * pipelines only read their input (super-resolution tunes its own output buffer).
   */
  async get(key: string, decode: () => Promise<RawImage>): Promise<RawImage> {
    const kept = this.#images.get(key);
    if (kept) return kept;
    const image = await decode();
    this.#images.set(key, image, image.data.byteLength);
    return image;
  }
}
