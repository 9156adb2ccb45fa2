"use client";

import { useFormatter } from "next-intl";
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFigure, primaryBar } from "~/components/chart-figure";

/** Top-k labels as a ranked horizontal bar chart, with a table for screen readers. */
export function ClassificationChart({
  scores,
  labelHeading,
  scoreHeading,
}: {
  scores: Array<{ label: string; score: number }>;
  labelHeading: string;
  scoreHeading: string;
}) {
  const format = useFormatter();
  const ranked = [...scores].sort((a, b) => b.score - a.score);
  const pct = (v: number) => format.number(v, { style: "percent", maximumFractionDigits: 1 });
  return (
    <ChartFigure
      className="grid gap-2"
      chartClassName="h-64"
      chart={
        <BarChart
          data={ranked}
          layout="vertical"
          margin={{ left: 8, right: 24, top: 8, bottom: 8 }}
        >
          <CartesianGrid horizontal={false} strokeDasharray="3 3" />
          <XAxis type="number" domain={[0, 1]} tickFormatter={pct} />
          <YAxis type="category" dataKey="label" width={110} />
          <Tooltip formatter={(v) => pct(Number(v))} />
          <Bar dataKey="score" radius={[0, 4, 4, 0]} {...primaryBar} />
        </BarChart>
      }
      table={
        <>
          <thead>
            <tr>
              <th>{labelHeading}</th>
              <th>{scoreHeading}</th>
            </tr>
          </thead>
          <tbody>
            {ranked.map((s) => (
              <tr key={s.label}>
                <td>{s.label}</td>
                <td>{pct(s.score)}</td>
              </tr>
            ))}
          </tbody>
        </>
      }
    />
  );
}
