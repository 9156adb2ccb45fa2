/**
 * Re-binarises a segmentation probability map in the browser: the map's grey level
 * (0..255 = probability 0..1) is compared with the threshold exactly as the server does
 * (foreground when p >= threshold), so moving the slider needs no new model run.
 */
export function binarize(
  probability: Uint8ClampedArray,
  threshold: number,
  out: Uint8ClampedArray<ArrayBuffer> = new Uint8ClampedArray(probability.length),
): Uint8ClampedArray<ArrayBuffer> {
  // RGBA pixels; the map is grey so the red channel carries the probability.
  const cut = threshold * 255;
  for (let i = 0; i < probability.length; i += 4) {
    const on = (probability[i] as number) >= cut ? 255 : 0;
    out[i] = on;
    out[i + 1] = on;
    out[i + 2] = on;
    out[i + 3] = 255;
  }
  return out;
}

/** Colours foreground pixels for an overlay; background stays fully transparent. */
export function overlayPixels(
  probability: Uint8ClampedArray,
  threshold: number,
  color: readonly [number, number, number],
  out: Uint8ClampedArray<ArrayBuffer> = new Uint8ClampedArray(probability.length),
): Uint8ClampedArray<ArrayBuffer> {
  const cut = threshold * 255;
  for (let i = 0; i < probability.length; i += 4) {
    const on = (probability[i] as number) >= cut;
    out[i] = color[0];
    out[i + 1] = color[1];
    out[i + 2] = color[2];
    out[i + 3] = on ? 255 : 0;
  }
  return out;
}

/** Share of foreground pixels, for the "x % of the image" readout. */
export function foregroundShare(probability: Uint8ClampedArray, threshold: number): number {
  const cut = threshold * 255;
  let on = 0;
  const pixels = probability.length / 4;
  for (let i = 0; i < probability.length; i += 4) if ((probability[i] as number) >= cut) on += 1;
  return pixels === 0 ? 0 : on / pixels;
}
