"use client";

import { useTranslations } from "next-intl";
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFigure, primaryBar } from "~/components/chart-figure";
import { TitledCard } from "~/components/titled-card";

function CountChart({
  title,
  counts,
  testId,
}: {
  title: string;
  counts: Record<string, number>;
  testId: string;
}) {
  const t = useTranslations("datasets");
  const data = Object.entries(counts).map(([name, count]) => ({ name, count }));
  return (
    <TitledCard title={title} data-testid={testId}>
      {data.length === 0 ? (
        <p className="text-sm text-muted-foreground">—</p>
      ) : (
        <ChartFigure
          chartClassName="h-48"
          chart={
            <BarChart data={data} margin={{ left: 0, right: 8, top: 8, bottom: 8 }}>
              <CartesianGrid vertical={false} strokeDasharray="3 3" />
              <XAxis dataKey="name" tick={{ fontSize: 11 }} interval={0} />
              <YAxis allowDecimals={false} width={36} tick={{ fontSize: 11 }} />
              <Tooltip />
              <Bar dataKey="count" name={t("count")} radius={[4, 4, 0, 0]} {...primaryBar} />
            </BarChart>
          }
          table={
            <>
              <caption>{title}</caption>
              <tbody>
                {data.map((d) => (
                  <tr key={d.name}>
                    <th>{d.name}</th>
                    <td>{d.count}</td>
                  </tr>
                ))}
              </tbody>
            </>
          }
        />
      )}
    </TitledCard>
  );
}

export function DatasetCharts({
  stats,
}: {
  stats: {
    formats: Record<string, number>;
    widthBuckets: Record<string, number>;
    heightBuckets: Record<string, number>;
    labels: Record<string, number>;
  };
}) {
  const t = useTranslations("datasets");
  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
      <CountChart title={t("formats")} counts={stats.formats} testId="chart-formats" />
      <CountChart
        title={`${t("dimensions")} (W)`}
        counts={stats.widthBuckets}
        testId="chart-widths"
      />
      {Object.keys(stats.labels).length > 0 ? (
        <CountChart title={t("classBalance")} counts={stats.labels} testId="chart-labels" />
      ) : (
        <CountChart
          title={`${t("dimensions")} (H)`}
          counts={stats.heightBuckets}
          testId="chart-heights"
        />
      )}
    </div>
  );
}
