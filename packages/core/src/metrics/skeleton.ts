// Zhang-Suen thinning (T. Y. Zhang and C. Y. Suen, "A fast parallel algorithm for thinning
// digital patterns", CACM 27(3), 1984): the skeleton clDice measures. Hand-written because no
// maintained npm package offers a plain-array skeletonisation; the algorithm is the standard
// two-subiteration one, pixels outside the image count as background.

/** One-pixel-wide skeleton of a binary mask (non-zero = foreground), as 0/1. */
export function zhangSuenSkeleton(
  mask: ArrayLike<number>,
  width: number,
  height: number,
): Uint8Array {
  if (mask.length !== width * height) {
    throw new RangeError(
      `a ${width}x${height} mask needs ${width * height} pixels, got ${mask.length}`,
    );
  }
  const img = new Uint8Array(width * height);
  for (let i = 0; i < img.length; i++) img[i] = mask[i] !== 0 ? 1 : 0;
  const at = (x: number, y: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : (img[y * width + x] as number);
  const remove: number[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (let step = 0; step < 2; step++) {
      remove.length = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          if (!img[y * width + x]) continue;
          // Neighbours P2..P9 clockwise from north.
          const p2 = at(x, y - 1);
          const p3 = at(x + 1, y - 1);
          const p4 = at(x + 1, y);
          const p5 = at(x + 1, y + 1);
          const p6 = at(x, y + 1);
          const p7 = at(x - 1, y + 1);
          const p8 = at(x - 1, y);
          const p9 = at(x - 1, y - 1);
          const b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
          if (b < 2 || b > 6) continue;
          const ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2];
          let a = 0;
          for (let k = 0; k < 8; k++) if (ring[k] === 0 && ring[k + 1] === 1) a++;
          if (a !== 1) continue;
          if (
            step === 0
              ? p2 * p4 * p6 !== 0 || p4 * p6 * p8 !== 0
              : p2 * p4 * p8 !== 0 || p2 * p6 * p8 !== 0
          )
            continue;
          remove.push(y * width + x);
        }
      }
      for (const i of remove) img[i] = 0;
      if (remove.length) changed = true;
    }
  }
  return img;
}
