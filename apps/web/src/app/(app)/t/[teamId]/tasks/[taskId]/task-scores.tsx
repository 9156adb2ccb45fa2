"use client";

import type { RouterOutputs } from "@studio/api";
import { useFormatter, useTranslations } from "next-intl";
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { ChartFigure } from "~/components/chart-figure";
import { DataTable } from "~/components/data-table";
import { Fact, FactList } from "~/components/facts";
import { TD, TR } from "~/components/ui/table";

type TaskData = RouterOutputs["tasks"]["get"];
export type TaskScores = NonNullable<TaskData["scores"]>;
/** What the per-image rows read of an item (tasks.get and tasks.report items alike). */
type Item = Pick<TaskData["items"][number], "id" | "image" | "resultMeta">;

/**
 * Quality scores against the dataset's references: the task's numbers, the threshold sweep
 * (segmentation), the confusion matrix (classification) and a row per image. Used on the task
 * page and in the report.
 */
export function TaskScoresView({ scores, items }: { scores: TaskScores; items: Item[] }) {
  if (scores.kind === "segmentation") return <SegmentationScores scores={scores} items={items} />;
  if (scores.kind === "super_resolution")
    return <SuperResolutionScores scores={scores} items={items} />;
  return <ClassificationScores scores={scores} items={items} />;
}

function useNumbers() {
  const format = useFormatter();
  const t = useTranslations("scores");
  return {
    t,
    ratio: (v: number | null | undefined) =>
      v === null || v === undefined
        ? "—"
        : format.number(v, { maximumFractionDigits: 4, minimumFractionDigits: 4 }),
    pct: (v: number) => format.number(v, { style: "percent", maximumFractionDigits: 1 }),
    db: (v: number | null) =>
      v === null
        ? "∞"
        : `${format.number(v, { maximumFractionDigits: 2, minimumFractionDigits: 2 })} dB`,
  };
}

const scoredItems = (items: Item[]) =>
  items.filter((i) => i.resultMeta?.scores || i.resultMeta?.scoresError);

function SegmentationScores({
  scores,
  items,
}: {
  scores: Extract<TaskScores, { kind: "segmentation" }>;
  items: Item[];
}) {
  const { t, ratio } = useNumbers();
  const points = scores.sweep.points;
  return (
    <div className="grid gap-4" data-testid="task-scores" data-kind="segmentation">
      <FactList>
        <Fact label={t("dice")} testId="score-dice">
          {ratio(scores.dice)}
        </Fact>
        <Fact label={t("iou")} testId="score-iou">
          {ratio(scores.iou)}
        </Fact>
        <Fact label={t("precision")}>{ratio(scores.precision)}</Fact>
        <Fact label={t("recall")}>{ratio(scores.recall)}</Fact>
        <Fact label={t("clDice")}>{ratio(scores.clDice)}</Fact>
        <Fact label={t("meanDice")}>{ratio(scores.meanDice)}</Fact>
        <Fact label={t("images")}>{scores.images}</Fact>
        <Fact label={t("bestThreshold")} testId="score-best-threshold">
          {t("bestAt", {
            dice: ratio(scores.sweep.best.dice),
            threshold: scores.sweep.best.threshold,
          })}
        </Fact>
      </FactList>
      <p className="text-sm text-muted-foreground">
        {t("segmentationNote", { threshold: scores.threshold })}
      </p>
      <ChartFigure
        className="grid gap-2"
        chartClassName="h-64"
        chart={
          <LineChart data={points} margin={{ left: 8, right: 24, top: 8, bottom: 8 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="threshold" type="number" domain={[0, 1]} />
            <YAxis domain={[0, 1]} />
            <Tooltip formatter={(v) => ratio(Number(v))} />
            <Legend />
            <ReferenceLine
              x={scores.threshold}
              stroke="var(--color-muted-foreground)"
              strokeDasharray="4 4"
            />
            <Line
              dataKey="dice"
              name={t("dice")}
              dot={false}
              stroke="var(--color-primary)"
              isAnimationActive={false}
            />
            <Line
              dataKey="iou"
              name={t("iou")}
              dot={false}
              stroke="var(--color-chart-2, #16a34a)"
              isAnimationActive={false}
            />
          </LineChart>
        }
        table={
          <>
            <caption>{t("sweep")}</caption>
            <thead>
              <tr>
                <th>{t("threshold")}</th>
                <th>{t("dice")}</th>
                <th>{t("iou")}</th>
              </tr>
            </thead>
            <tbody>
              {points
                .filter((_, i) => i % 5 === 0)
                .map((p) => (
                  <tr key={p.threshold}>
                    <td>{p.threshold}</td>
                    <td>{ratio(p.dice)}</td>
                    <td>{ratio(p.iou)}</td>
                  </tr>
                ))}
            </tbody>
          </>
        }
      />
      <DataTable
        columns={[t("image"), t("dice"), t("iou"), t("precision"), t("recall"), t("clDice")]}
      >
        {scoredItems(items).map((item) => {
          const s = item.resultMeta?.scores;
          const seg = s?.kind === "segmentation" ? s : null;
          return (
            <TR key={item.id} data-testid="item-scores">
              <TD className="max-w-48 truncate">{item.image.originalName}</TD>
              {seg ? (
                <>
                  <TD className="tabular-nums">{ratio(seg.dice)}</TD>
                  <TD className="tabular-nums">{ratio(seg.iou)}</TD>
                  <TD className="tabular-nums">{ratio(seg.precision)}</TD>
                  <TD className="tabular-nums">{ratio(seg.recall)}</TD>
                  <TD className="tabular-nums">{ratio(seg.clDice)}</TD>
                </>
              ) : (
                <TD colSpan={5} className="text-muted-foreground">
                  {item.resultMeta?.scoresError}
                </TD>
              )}
            </TR>
          );
        })}
      </DataTable>
    </div>
  );
}

function SuperResolutionScores({
  scores,
  items,
}: {
  scores: Extract<TaskScores, { kind: "super_resolution" }>;
  items: Item[];
}) {
  const { t, ratio, db } = useNumbers();
  return (
    <div className="grid gap-4" data-testid="task-scores" data-kind="super_resolution">
      <DataTable columns={["", t("psnr"), t("ssim")]}>
        <TR>
          <TD className="font-medium">{t("model")}</TD>
          <TD className="tabular-nums" data-testid="score-psnr">
            {db(scores.model.psnr)}
          </TD>
          <TD className="tabular-nums">{ratio(scores.model.ssim)}</TD>
        </TR>
        <TR>
          <TD className="font-medium">{t("bicubic")}</TD>
          <TD className="tabular-nums">{db(scores.bicubic.psnr)}</TD>
          <TD className="tabular-nums">{ratio(scores.bicubic.ssim)}</TD>
        </TR>
      </DataTable>
      <p className="text-sm text-muted-foreground">
        {t(scores.reference === "pair" ? "srNotePair" : "srNoteDownscaled", {
          crop: scores.crop,
          images: scores.images,
        })}
      </p>
      <DataTable columns={[t("image"), t("psnr"), t("ssim"), t("bicubicPsnr"), t("bicubicSsim")]}>
        {scoredItems(items).map((item) => {
          const s = item.resultMeta?.scores;
          const sr = s?.kind === "super_resolution" ? s : null;
          return (
            <TR key={item.id} data-testid="item-scores">
              <TD className="max-w-48 truncate">{item.image.originalName}</TD>
              {sr ? (
                <>
                  <TD className="tabular-nums">{db(sr.model.psnr)}</TD>
                  <TD className="tabular-nums">{ratio(sr.model.ssim)}</TD>
                  <TD className="tabular-nums">{db(sr.bicubic.psnr)}</TD>
                  <TD className="tabular-nums">{ratio(sr.bicubic.ssim)}</TD>
                </>
              ) : (
                <TD colSpan={4} className="text-muted-foreground">
                  {item.resultMeta?.scoresError}
                </TD>
              )}
            </TR>
          );
        })}
      </DataTable>
    </div>
  );
}

function ClassificationScores({
  scores,
  items,
}: {
  scores: Extract<TaskScores, { kind: "classification" }>;
  items: Item[];
}) {
  const { t, pct } = useNumbers();
  const { labels, counts } = scores.confusion;
  return (
    <div className="grid gap-4" data-testid="task-scores" data-kind="classification">
      <FactList>
        <Fact label={t("top1")} testId="score-top1">
          {pct(scores.top1)}
        </Fact>
        <Fact label={t("topK", { k: scores.k })}>{pct(scores.topK)}</Fact>
        <Fact label={t("images")}>{scores.images}</Fact>
      </FactList>
      <div className="overflow-x-auto">
        <table className="text-sm" data-testid="confusion-matrix">
          <caption className="mb-2 text-left text-muted-foreground">
            {t("confusionCaption")}
          </caption>
          <thead>
            <tr>
              <th className="p-1" />
              {labels.map((l) => (
                <th key={l} scope="col" className="p-1 font-medium">
                  {l}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labels.map((l, r) => (
              <tr key={l}>
                <th scope="row" className="p-1 text-left font-medium">
                  {l}
                </th>
                {labels.map((p, c) => (
                  <td
                    key={p}
                    className={`p-1 text-center tabular-nums ${r === c ? "bg-primary/15 font-semibold" : ""}`}
                  >
                    {counts[r]?.[c] ?? 0}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <DataTable columns={[t("image"), t("label"), t("predicted"), t("rank")]}>
        {scoredItems(items).map((item) => {
          const s = item.resultMeta?.scores;
          const c = s?.kind === "classification" ? s : null;
          return (
            <TR key={item.id} data-testid="item-scores">
              <TD className="max-w-48 truncate">{item.image.originalName}</TD>
              <TD>{c?.label ?? "—"}</TD>
              <TD>{c?.predicted ?? "—"}</TD>
              <TD className="tabular-nums">{c?.rank ?? "—"}</TD>
            </TR>
          );
        })}
      </DataTable>
    </div>
  );
}
