"use client";

import type * as React from "react";
import { ResponsiveContainer } from "recharts";
import { cn } from "~/lib/utils";

/** How every bar chart here draws its bars: the theme's primary colour, drawn at once. */
export const primaryBar = { fill: "var(--color-primary)", isAnimationActive: false } as const;

/**
 * A chart that fills a box of `chartClassName` (its height), hidden from screen readers, which
 * read `table` (the rows of an sr-only table of the same numbers) in its place.
 */
export function ChartFigure({
  chartClassName,
  className,
  chart,
  table,
}: {
  chartClassName: string;
  className?: string;
  chart: React.ReactElement;
  table: React.ReactNode;
}) {
  return (
    <figure className={className}>
      <div className={cn("w-full", chartClassName)} aria-hidden>
        <ResponsiveContainer width="100%" height="100%">
          {chart}
        </ResponsiveContainer>
      </div>
      <table className="sr-only">{table}</table>
    </figure>
  );
}
