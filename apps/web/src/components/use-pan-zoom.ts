"use client";

// Zoom and pan for the result viewers, written here rather than taken from a library: the
// compare viewer needs two images under one transform with the divider in viewport
// coordinates, which react-compare-slider (zoom grows from a corner, drag moves the divider)
// does not do, and pan/zoom libraries (react-zoom-pan-pinch, panzoom) own the transform of one
// element and their own gestures, while here the divider drag, the keys and the segmentation
// mask canvas share one view. The arithmetic is small and unit-tested (lib/pan-zoom.ts).
import type * as React from "react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { isShortcutEvent } from "~/lib/keyboard";
import {
  fitView,
  panBy,
  type Size,
  type View,
  wheelFactor,
  ZOOM_STEP,
  zoomAt,
} from "~/lib/pan-zoom";

type Point = { x: number; y: number };

/**
 * A pointer's position in the viewport's own coordinates: from its padding edge, where the
 * image layer's origin is (the bounding box starts at the border, a pixel further out).
 */
function inside(element: HTMLElement, event: { clientX: number; clientY: number }): Point {
  const rect = element.getBoundingClientRect();
  return {
    x: event.clientX - rect.left - element.clientLeft,
    y: event.clientY - rect.top - element.clientTop,
  };
}

export interface PanZoom {
  /** Attach to the element the image is seen through (overflow hidden, touch-action none). */
  viewportRef: (element: HTMLDivElement | null) => void;
  viewport: Size;
  view: View;
  /** True while the view is the fitted one: it is refitted when the viewport changes size. */
  fitted: boolean;
  /** Position and size of a layer that holds the image at its own pixel size. */
  layerStyle: React.CSSProperties;
  /** Pixelated from 1:1 up, so single pixels can be told apart; smooth when shrunk. */
  imageRendering: "pixelated" | "auto";
  zoomIn(): void;
  zoomOut(): void;
  fit(): void;
  /** One image pixel to one screen pixel. */
  actualSize(): void;
  handlers: Pick<
    React.HTMLAttributes<HTMLDivElement>,
    "onPointerDown" | "onPointerMove" | "onPointerUp" | "onPointerCancel" | "onDoubleClick"
  >;
}

/**
 * Wheel and pinch zoom at the cursor, drag to pan, and the keys + - 0 1 (when `keyboard`), for
 * an image of `image` pixels shown in a viewport element.
 */
export function usePanZoom(image: Size, { keyboard = true } = {}): PanZoom {
  const [element, setElement] = useState<HTMLDivElement | null>(null);
  const [viewport, setViewport] = useState<Size>({ width: 0, height: 0 });
  const [state, setState] = useState<{ view: View; fitted: boolean }>({
    view: { scale: 1, x: 0, y: 0 },
    fitted: true,
  });
  // Native listeners (wheel, keys) read the latest values through this, without re-binding.
  const latest = useRef({ image, viewport, view: state.view });
  latest.current = { image, viewport, view: state.view };
  const pointers = useRef(new Map<number, Point>());

  useEffect(() => {
    if (!element) return;
    const measure = () => setViewport({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);

  // The fitted view follows the viewport's size and the image's; a zoomed view stays put.
  const { width, height } = image;
  useEffect(() => {
    const size = { width: viewport.width, height: viewport.height };
    setState((s) => (s.fitted ? { view: fitView({ width, height }, size), fitted: true } : s));
  }, [width, height, viewport.width, viewport.height]);

  const zoomTo = useCallback((scale: number, at?: Point) => {
    const { image, viewport, view } = latest.current;
    const point = at ?? { x: viewport.width / 2, y: viewport.height / 2 };
    const next = zoomAt(view, scale, point.x, point.y, image, viewport);
    setState({ view: next, fitted: false });
  }, []);

  const actions = useMemo(
    () => ({
      zoomIn: () => zoomTo(latest.current.view.scale * ZOOM_STEP),
      zoomOut: () => zoomTo(latest.current.view.scale / ZOOM_STEP),
      fit: () =>
        setState({ view: fitView(latest.current.image, latest.current.viewport), fitted: true }),
      // CSS pixels are device pixels divided by the ratio: 1:1 means one device pixel.
      actualSize: () => zoomTo(1 / (window.devicePixelRatio || 1)),
    }),
    [zoomTo],
  );

  useEffect(() => {
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      zoomTo(
        latest.current.view.scale * wheelFactor(event.deltaY, event.deltaMode),
        inside(element, event),
      );
    };
    // Not passive: the page must not scroll while the wheel zooms.
    element.addEventListener("wheel", onWheel, { passive: false });
    return () => element.removeEventListener("wheel", onWheel);
  }, [element, zoomTo]);

  useEffect(() => {
    if (!keyboard) return;
    const onKey = (event: KeyboardEvent) => {
      if (!isShortcutEvent(event)) return;
      const action =
        event.key === "+" || event.key === "="
          ? actions.zoomIn
          : event.key === "-" || event.key === "_"
            ? actions.zoomOut
            : event.key === "0"
              ? actions.fit
              : event.key === "1"
                ? actions.actualSize
                : null;
      if (!action) return;
      event.preventDefault();
      action();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [keyboard, actions]);

  const local = (event: React.PointerEvent<HTMLDivElement>) => inside(event.currentTarget, event);

  const handlers: PanZoom["handlers"] = {
    onPointerDown: (event) => {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      event.currentTarget.setPointerCapture(event.pointerId);
      pointers.current.set(event.pointerId, local(event));
    },
    onPointerMove: (event) => {
      const map = pointers.current;
      const previous = map.get(event.pointerId);
      if (!previous) return;
      const point = local(event);
      const { image, viewport, view } = latest.current;
      if (map.size === 1) {
        map.set(event.pointerId, point);
        setState({
          view: panBy(view, point.x - previous.x, point.y - previous.y, image, viewport),
          fitted: false,
        });
        return;
      }
      // Two fingers: the distance between them zooms, their midpoint pans.
      const other = [...map].find(([id]) => id !== event.pointerId)?.[1];
      if (!other) return;
      map.set(event.pointerId, point);
      const before = { x: (previous.x + other.x) / 2, y: (previous.y + other.y) / 2 };
      const after = { x: (point.x + other.x) / 2, y: (point.y + other.y) / 2 };
      const distance = (p: Point) => Math.hypot(p.x - other.x, p.y - other.y);
      const ratio = distance(previous) > 0 ? distance(point) / distance(previous) : 1;
      const moved = panBy(view, after.x - before.x, after.y - before.y, image, viewport);
      setState({
        view: zoomAt(moved, moved.scale * ratio, after.x, after.y, image, viewport),
        fitted: false,
      });
    },
    onPointerUp: (event) => {
      pointers.current.delete(event.pointerId);
    },
    onPointerCancel: (event) => {
      pointers.current.delete(event.pointerId);
    },
    // Double-click: in to twice the size at that point, or back to the fitted view.
    onDoubleClick: (event) => {
      if (state.fitted) zoomTo(state.view.scale * 2, inside(event.currentTarget, event));
      else actions.fit();
    },
  };

  const { view } = state;
  return {
    viewportRef: setElement,
    viewport,
    view,
    fitted: state.fitted,
    layerStyle: {
      position: "absolute",
      left: 0,
      top: 0,
      width: image.width,
      height: image.height,
      transformOrigin: "0 0",
      transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})`,
    },
    imageRendering: view.scale >= 1 ? "pixelated" : "auto",
    ...actions,
    handlers,
  };
}
