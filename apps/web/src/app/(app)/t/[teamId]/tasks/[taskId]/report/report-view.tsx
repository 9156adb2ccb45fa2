"use client";

import { useQuery } from "@tanstack/react-query";
import { Printer } from "lucide-react";
import { DataTable } from "~/components/data-table";
import { Fact } from "~/components/facts";
import { PageHeader } from "~/components/page-header";
import { QueryFallback } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { NameLink } from "~/components/text-link";
import { TitledCard } from "~/components/titled-card";
import { Button } from "~/components/ui/button";
import { TD, TR } from "~/components/ui/table";
import { fileUrls } from "~/lib/file-urls";
import { formatBytes, formatMs, itemMs } from "~/lib/format";
import { routes } from "~/lib/routes";
import { useTeamPage } from "~/lib/use-team-page";
import { ItemError } from "../item-error";
import { BackToTask, DownloadAllResults } from "../task-links";
import { TaskParams } from "../task-params";
import { TaskRunFacts } from "../task-run-facts";
import { TaskScoresView } from "../task-scores";
import { ExportPdfButton } from "./export-pdf-button";

/**
 * The task's report as a document. "Export PDF" downloads the PDF the server makes of it
 * (export-pdf-button.tsx); "Print" prints this page, whose print stylesheet drops the
 * navigation and buttons.
 */
export function ReportView({ taskId }: { taskId: string }) {
  const { t, format, locale, trpc, teamId } = useTeamPage();
  const report = useQuery(trpc.tasks.report.queryOptions({ teamId, taskId }));

  if (report.isPending || report.error) return <QueryFallback query={report} />;
  const { task, items, summary, scores } = report.data;
  const kind = task.taskKind;
  // Per-item times from the worker's own timings (sum and mean over finished items).
  const times = items.map((i) => itemMs(i.timings)).filter((v): v is number => v !== null);
  const totalMs = times.reduce((a, b) => a + b, 0);
  const meanMs = times.length ? totalMs / times.length : null;

  return (
    // min-w-0: a long line inside a card (the params record, the table) must not widen the page.
    <article className="grid gap-4 [&>*]:min-w-0" data-testid="report">
      <PageHeader
        title={`${t("report.title")} · ${task.name || t(`kinds.${kind}`)}`}
        description={t("report.generated", {
          date: format.dateTime(new Date(), { dateStyle: "medium", timeStyle: "medium" }),
        })}
        actions={
          <>
            <BackToTask teamId={teamId} taskId={taskId} />
            <ExportPdfButton teamId={teamId} taskId={taskId} status={task.status} />
            <Button variant="ghost" onClick={() => window.print()} data-testid="print-report">
              <Printer aria-hidden />
              {t("report.print")}
            </Button>
            {summary.succeeded > 0 ? <DownloadAllResults teamId={teamId} taskId={taskId} /> : null}
          </>
        }
      />
      <TitledCard title={t("report.summary")}>
        <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
          <Fact label={t("tasks.filterStatus")}>
            <StatusBadge status={task.status} />
          </Fact>
          <Fact label={t("tasks.items")} className="tabular-nums">
            {summary.succeeded}/{summary.items} · {t("status.failed")}: {summary.failed}
          </Fact>
          <TaskRunFacts
            task={task}
            duration={
              <>
                {formatMs(summary.wallMs, locale)} (Σ {formatMs(totalMs, locale)}, ⌀{" "}
                {formatMs(meanMs, locale)})
              </>
            }
          />
          {task.dataset ? <Fact label={t("newTask.dataset")}>{task.dataset.name}</Fact> : null}
        </dl>
      </TitledCard>
      <TitledCard title={t("report.weight")}>
        <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
          <Fact label={t("weights.name")}>
            {task.weight
              ? `${task.weight.name} · ${task.weight.family} ${task.weight.version}`
              : "—"}
            {task.weight?.isOfficial ? ` (${t("weights.official")})` : ""}
          </Fact>
          <Fact label={t("weights.sha256")} code testId="report-weight-sha256">
            {task.weight?.sha256 ?? task.weightSha256}
          </Fact>
          <Fact label={t("tasks.signature")} code testId="report-signature">
            {task.paramSignature}
          </Fact>
        </dl>
        <h3 className="mt-4 mb-1 text-sm font-semibold">{t("tasks.params")}</h3>
        <TaskParams task={task} />
        {/* The exact record, for reproducing the run elsewhere: code, not words to translate. */}
        <pre
          className="mt-2 whitespace-pre-wrap break-all rounded-md bg-muted p-3 text-xs"
          translate="no"
        >
          {JSON.stringify(task.params, null, 2)}
        </pre>
      </TitledCard>
      {scores ? (
        <TitledCard title={t("scores.title")} description={t("scores.description")}>
          <TaskScoresView scores={scores} items={items} />
        </TitledCard>
      ) : null}
      <TitledCard title={t("report.perItem")}>
        <DataTable
          columns={[
            t("report.results"),
            t("tasks.item"),
            t("tasks.filterStatus"),
            // On a phone the row keeps what identifies it; the figures come back from sm / md up.
            { label: t("weights.size"), className: "hidden sm:table-cell" },
            { label: t("tasks.duration"), className: "hidden sm:table-cell" },
            { label: "SHA-256", className: "hidden md:table-cell print:table-cell" },
          ]}
        >
          {items.map((item) => {
            const meta = item.resultMeta ?? {};
            return (
              <TR key={item.id}>
                <TD className="w-24 max-sm:w-16">
                  {item.hasResult && kind !== "classification" ? (
                    // biome-ignore lint/performance/noImgElement: authorised route handler
                    <img
                      src={fileUrls.resultRendition(teamId, taskId, item.id, "thumb")}
                      alt={item.image.originalName}
                      loading="eager"
                      className="size-20 rounded border border-border object-contain checkerboard max-sm:size-14"
                    />
                  ) : null}
                </TD>
                <TD>
                  <NameLink href={routes.taskItem(teamId, taskId, item.id)} className="break-all">
                    {item.image.originalName}
                  </NameLink>
                  <span className="block text-xs text-muted-foreground">
                    {item.image.width}×{item.image.height}
                    {meta.width ? ` → ${meta.width}×${meta.height}` : ""}
                    {item.image.sizeBytes ? ` · ${formatBytes(item.image.sizeBytes, locale)}` : ""}
                  </span>
                  <ItemError error={item.error} />
                </TD>
                <TD>
                  <StatusBadge status={item.status} />
                </TD>
                <TD className="hidden sm:table-cell">
                  {item.resultBytes ? formatBytes(item.resultBytes, locale) : "—"}
                </TD>
                <TD className="hidden sm:table-cell">{formatMs(itemMs(item.timings), locale)}</TD>
                <TD className="hidden max-w-40 break-all font-mono text-[10px] md:table-cell print:table-cell">
                  {item.resultSha256 ?? "—"}
                </TD>
              </TR>
            );
          })}
        </DataTable>
      </TitledCard>
    </article>
  );
}
