"use client";

import { useRef } from "react";

export interface Crop {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function clampCrop(crop: Crop, width: number, height: number): Crop {
  const w = Math.min(crop.width, width);
  const h = Math.min(crop.height, height);
  return {
    width: w,
    height: h,
    x: Math.max(0, Math.min(Math.round(crop.x), width - w)),
    y: Math.max(0, Math.min(Math.round(crop.y), height - h)),
  };
}

/**
 * The image with a movable frame: drag with a pointer, or focus the frame and use the arrow
 * keys (Shift moves further). Coordinates are in the image's own pixels.
 */
export function CropPicker({
  src,
  alt,
  imageWidth,
  imageHeight,
  crop,
  onChange,
  label,
}: {
  src: string;
  alt: string;
  imageWidth: number;
  imageHeight: number;
  crop: Crop;
  onChange: (crop: Crop) => void;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const drag = useRef<{ startX: number; startY: number; crop: Crop } | null>(null);
  const pct = (v: number, of: number) => `${(v / of) * 100}%`;

  return (
    <div
      ref={box}
      className="relative select-none overflow-hidden rounded-md border border-border checkerboard"
    >
      {/* biome-ignore lint/performance/noImgElement: authorised route handler, already a display rendition */}
      <img
        src={src}
        alt={alt}
        width={imageWidth}
        height={imageHeight}
        className="block h-auto w-full"
        draggable={false}
      />
      <div
        role="slider"
        tabIndex={0}
        aria-label={label}
        aria-valuetext={`x ${crop.x}, y ${crop.y}, ${crop.width}×${crop.height}`}
        aria-valuenow={crop.x}
        data-testid="crop-frame"
        className="absolute cursor-move border-2 border-white shadow-[0_0_0_9999px_rgba(0,0,0,0.35)] outline-none ring-primary focus-visible:ring-4"
        style={{
          left: pct(crop.x, imageWidth),
          top: pct(crop.y, imageHeight),
          width: pct(crop.width, imageWidth),
          height: pct(crop.height, imageHeight),
          touchAction: "none",
        }}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          drag.current = { startX: e.clientX, startY: e.clientY, crop };
        }}
        onPointerMove={(e) => {
          const start = drag.current;
          const rect = box.current?.getBoundingClientRect();
          if (!start || !rect) return;
          const scale = imageWidth / rect.width;
          onChange(
            clampCrop(
              {
                ...start.crop,
                x: start.crop.x + (e.clientX - start.startX) * scale,
                y: start.crop.y + (e.clientY - start.startY) * scale,
              },
              imageWidth,
              imageHeight,
            ),
          );
        }}
        onPointerUp={() => {
          drag.current = null;
        }}
        onKeyDown={(e) => {
          const step = e.shiftKey ? 64 : 8;
          const delta: Record<string, [number, number]> = {
            ArrowLeft: [-step, 0],
            ArrowRight: [step, 0],
            ArrowUp: [0, -step],
            ArrowDown: [0, step],
          };
          const move = delta[e.key];
          if (!move) return;
          e.preventDefault();
          onChange(
            clampCrop(
              { ...crop, x: crop.x + move[0], y: crop.y + move[1] },
              imageWidth,
              imageHeight,
            ),
          );
        }}
      />
    </div>
  );
}
