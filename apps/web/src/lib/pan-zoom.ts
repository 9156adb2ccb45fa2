// The arithmetic of the result viewers' zoom and pan, kept apart from React so it can be tested.
// A view maps an image pixel (x, y) to the viewport point (x * scale + x0, y * scale + y0), in
// CSS pixels of the viewport.

export interface Size {
  width: number;
  height: number;
}

export interface View {
  scale: number;
  x: number;
  y: number;
}

/** The largest zoom: a pixel 32 screen pixels wide is more than anyone compares. */
export const MAX_SCALE = 32;
/** One press of + or - (or a zoom button): two presses double or halve. */
export const ZOOM_STEP = Math.SQRT2;

/** The whole image in view, centred (also enlarges an image smaller than the viewport). */
export function fitView(image: Size, viewport: Size): View {
  if (image.width <= 0 || image.height <= 0 || viewport.width <= 0 || viewport.height <= 0)
    return { scale: 1, x: 0, y: 0 };
  const scale = Math.min(viewport.width / image.width, viewport.height / image.height);
  return centred(image, viewport, scale);
}

/** Centred at `scale`. */
export function centred(image: Size, viewport: Size, scale: number): View {
  return {
    scale,
    x: (viewport.width - image.width * scale) / 2,
    y: (viewport.height - image.height * scale) / 2,
  };
}

/** The smallest zoom: the fitted view, or 1:1 when the image is smaller than that. */
export function minScale(image: Size, viewport: Size): number {
  return Math.min(fitView(image, viewport).scale, 1);
}

/**
 * Keeps the image where it can be seen: along an axis where it is smaller than the viewport it
 * stays wholly inside; where it is larger it covers the viewport (no empty band at an edge).
 */
export function clampView(view: View, image: Size, viewport: Size): View {
  const axis = (offset: number, length: number, room: number) => {
    const lo = Math.min(0, room - length);
    const hi = Math.max(0, room - length);
    return Math.min(hi, Math.max(lo, offset));
  };
  return {
    scale: view.scale,
    x: axis(view.x, image.width * view.scale, viewport.width),
    y: axis(view.y, image.height * view.scale, viewport.height),
  };
}

/**
 * Zooms to `scale` about the viewport point (px, py): the image pixel under that point stays
 * under it (unless the result has to be pulled back into view at an edge).
 */
export function zoomAt(
  view: View,
  scale: number,
  px: number,
  py: number,
  image: Size,
  viewport: Size,
): View {
  const least = minScale(image, viewport);
  const next = Math.min(MAX_SCALE, Math.max(least, scale));
  // All the way out: back to the tidy centred view rather than wherever the last step left it.
  if (next === least) return centred(image, viewport, least);
  const k = next / view.scale;
  return clampView(
    { scale: next, x: px - (px - view.x) * k, y: py - (py - view.y) * k },
    image,
    viewport,
  );
}

/** Moves the image by (dx, dy) viewport pixels, kept in view. */
export function panBy(view: View, dx: number, dy: number, image: Size, viewport: Size): View {
  return clampView({ ...view, x: view.x + dx, y: view.y + dy }, image, viewport);
}

/** The image pixel under the viewport point (px, py). */
export function imagePointAt(view: View, px: number, py: number): { x: number; y: number } {
  return { x: (px - view.x) / view.scale, y: (py - view.y) / view.scale };
}

/** The zoom factor of a wheel event: pixel, line and page deltas alike, smooth on trackpads. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-Math.max(-400, Math.min(400, pixels)) * 0.002);
}
