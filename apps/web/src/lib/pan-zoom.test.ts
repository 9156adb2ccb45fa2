import { describe, expect, it } from "vitest";
import { clampView, fitView, imagePointAt, panBy, wheelFactor, zoomAt } from "./pan-zoom";

const image = { width: 400, height: 200 };
const viewport = { width: 800, height: 600 };

describe("fitView", () => {
  it("shows the whole image centred, enlarged to the viewport's width here", () => {
    expect(fitView(image, viewport)).toEqual({ scale: 2, x: 0, y: 100 });
  });
});

describe("zoomAt", () => {
  it("keeps the image pixel under the cursor where it was", () => {
    const start = zoomAt(fitView(image, viewport), 4, 400, 300, image, viewport);
    const before = imagePointAt(start, 250, 180);
    const zoomed = zoomAt(start, 10, 250, 180, image, viewport);
    const after = imagePointAt(zoomed, 250, 180);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  it("zooming out of an image larger than the viewport stops at the fitted view, centred", () => {
    const large = { width: 4000, height: 2000 };
    const zoomed = zoomAt(fitView(large, viewport), 8, 100, 100, large, viewport);
    expect(zoomAt(zoomed, 0.001, 700, 500, large, viewport)).toEqual(fitView(large, viewport));
  });

  it("an image smaller than the viewport can be seen at 1:1 (not only enlarged)", () => {
    const view = zoomAt(fitView(image, viewport), 0.5, 400, 300, image, viewport);
    expect(view.scale).toBe(1);
  });
});

describe("panBy / clampView", () => {
  it("a zoomed image can be dragged, but not so far that an empty band shows", () => {
    const zoomed = zoomAt(fitView(image, viewport), 4, 400, 300, image, viewport);
    const moved = panBy(zoomed, -50, 20, image, viewport);
    expect(moved.x).toBe(zoomed.x - 50);
    expect(moved.y).toBe(zoomed.y + 20);
    const far = panBy(zoomed, 10_000, -10_000, image, viewport);
    expect(far.x).toBe(0);
    expect(far.y).toBe(viewport.height - image.height * 4);
  });

  it("along an axis where the image is smaller it stays inside the viewport", () => {
    expect(clampView({ scale: 2, x: 0, y: 500 }, image, viewport).y).toBe(200);
  });
});

describe("wheelFactor", () => {
  it("scrolling up zooms in, down zooms out, line deltas count like pixels", () => {
    expect(wheelFactor(-100, 0)).toBeGreaterThan(1);
    expect(wheelFactor(100, 0)).toBeLessThan(1);
    expect(wheelFactor(-3, 1)).toBeCloseTo(wheelFactor(-48, 0), 9);
  });
});
