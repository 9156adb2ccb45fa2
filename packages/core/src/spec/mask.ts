/**
 * The segmentation mask rule, shared by the pipeline and the browser (re-thresholding a stored
 * probability map without re-running the model): foreground where value / max >= threshold.
 */
export function thresholdProbability(
  values: ArrayLike<number>,
  bits: 8 | 16,
  threshold: number,
  out: Uint8Array | Uint8ClampedArray = new Uint8Array(values.length),
): Uint8Array | Uint8ClampedArray {
  const cut = threshold * (bits === 16 ? 65535 : 255);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] as number) >= cut ? 255 : 0;
  return out;
}
