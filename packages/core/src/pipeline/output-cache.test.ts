import { describe, expect, it } from "vitest";
import type { RawImage } from "../image/types";
import { ModelOutputCache } from "./output-cache";

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
