import type { RawImage } from "./types";

/** Deterministic pseudo-random samples (full range, so every filter byte wraps somewhere). */
export function noise(
  width: number,
  height: number,
  channels: RawImage["channels"],
  depth: 8 | 16,
) {
  const n = width * height * channels;
  const max = depth === 16 ? 65535 : 255;
  const data = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  let state = 12345;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = (state >>> 8) % (max + 1);
  }
  return { width, height, channels, depth, data } satisfies RawImage;
}
