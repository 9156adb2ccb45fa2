import { describe, expect, it } from "vitest";
import type { RawImage } from "../image/types";
import { ByteBoundedLru, ModelOutputCache } from "./output-cache";

/** A gray x2 output of input rect `rect` whose pixel value encodes its output position. */
function output(rect: { x: number; y: number; width: number; height: number }): RawImage {
  const w = rect.width * 2;
  const h = rect.height * 2;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data[y * w + x] = (rect.x * 2 + x + 3 * (rect.y * 2 + y)) % 251;
  return { width: w, height: h, channels: 1, depth: 8, data };
}

describe("ModelOutputCache", () => {
  it("answers any rect inside a cached one with a copy, by key", () => {
    const cache = new ModelOutputCache(1 << 20);
    const big = { x: 10, y: 20, width: 30, height: 40 };
    cache.set("a", big, 2, output(big));
    const inner = { x: 12, y: 25, width: 5, height: 7 };
    const got = cache.get("a", inner);
    expect(got && Buffer.from(got.data)).toEqual(Buffer.from(output(inner).data));
    got?.data.fill(0); // the caller tunes in place: the cache keeps its own pixels
    expect(Buffer.from(cache.get("a", inner)?.data ?? [])).toEqual(Buffer.from(output(inner).data));
    expect(cache.get("b", inner)).toBeUndefined();
    expect(cache.get("a", { ...inner, x: 38 })).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([2, 2]);
  });

  it("drops the least recently used entries beyond its byte bound", () => {
    const r = { x: 0, y: 0, width: 16, height: 16 }; // 1024 bytes of output
    const cache = new ModelOutputCache(2048);
    cache.set("a", r, 2, output(r));
    cache.set("b", r, 2, output(r));
    cache.get("a", r);
    cache.set("c", r, 2, output(r));
    expect(cache.bytes).toBe(2048);
    expect(cache.get("b", r)).toBeUndefined();
    expect(cache.get("a", r)).toBeDefined();
    expect(cache.get("c", r)).toBeDefined();
    cache.set(
      "d",
      { x: 0, y: 0, width: 64, height: 64 },
      2,
      output({ x: 0, y: 0, width: 64, height: 64 }),
    );
    expect(cache.size).toBe(2); // larger than the whole bound: not kept
  });
});

describe("ByteBoundedLru", () => {
  it("keeps values within its byte bound, the least recently used going first", () => {
    const lru = new ByteBoundedLru<string, number>(100);
    expect(lru.set("a", 1, 40)).toBe(true);
    lru.set("b", 2, 40);
    expect(lru.get("a")).toBe(1); // now b is the least recently used
    lru.set("c", 3, 40);
    expect([lru.get("b"), lru.get("a"), lru.get("c")]).toEqual([undefined, 1, 3]);
    expect(lru.bytes).toBe(80);
    // A value under a key it already holds replaces it, counted once.
    lru.set("c", 4, 50);
    expect([lru.get("c"), lru.bytes]).toEqual([4, 90]);
    expect(lru.find((v) => v === 1)).toBe(1);
    lru.deleteWhere((v) => v > 2);
    expect([lru.size, lru.bytes]).toEqual([1, 40]);
    // Larger than the whole bound: not kept, and nothing else goes for it.
    expect(lru.set("huge", 5, 101)).toBe(false);
    expect([lru.size, lru.get("huge")]).toEqual([1, undefined]);
  });
});
