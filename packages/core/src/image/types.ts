/** Interleaved pixels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; Uint16Array when depth is 16. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  depth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

export function maxValue(depth: 8 | 16): number {
  return depth === 16 ? 65535 : 255;
}

export function allocPixels(depth: 8 | 16, length: number): Uint8Array | Uint16Array {
  return depth === 16 ? new Uint16Array(length) : new Uint8Array(length);
}
