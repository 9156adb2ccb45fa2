"use client";

import type { TaskKind } from "@studio/core/spec";
import { useQuery } from "@tanstack/react-query";
import { Printer } from "lucide-react";
import Link from "next/link";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { DataTableHeader } from "~/components/data-table-header";
import { PageHeader } from "~/components/page-header";
import { ErrorState, Loading } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { useTeamId } from "~/components/team-context";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { Table, TD, TR } from "~/components/ui/table";
import { fileUrls } from "~/lib/file-urls";
import { formatBytes, formatMs, itemMs } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { BackToTask, DownloadAllResults } from "../task-links";
import { TaskRunFacts } from "../task-run-facts";

/**
 * The task's report as a document. "Export PDF" prints it: the print stylesheet drops the
 * navigation and buttons, so the browser's "Save as PDF" (or Chromium's page.pdf) yields a
 * clean PDF of exactly this page.
 */
export function ReportView({ taskId }: { taskId: string }) {
  const t = useTranslations();
  const format = useFormatter();
  const locale = useLocale();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const report = useQuery(trpc.tasks.report.queryOptions({ teamId, taskId }));

  if (report.isPending) return <Loading />;
  if (report.error)
    return <ErrorState error={report.error} onRetry={() => void report.refetch()} />;
  const { task, items, summary } = report.data;
  const kind = task.taskKind as TaskKind;
  // Per-item times from the worker's own timings (sum and mean over finished items).
  const times = items.map((i) => itemMs(i.timings)).filter((v): v is number => v !== null);
  const totalMs = times.reduce((a, b) => a + b, 0);
  const meanMs = times.length ? totalMs / times.length : null;

  return (
    <article className="grid gap-4" data-testid="report">
      <PageHeader
        title={`${t("report.title")} · ${t(`kinds.${kind}`)}`}
        description={t("report.generated", {
          date: format.dateTime(new Date(), { dateStyle: "medium", timeStyle: "medium" }),
        })}
        actions={
          <>
            <BackToTask taskId={taskId} />
            <Button variant="outline" onClick={() => window.print()} data-testid="export-pdf">
              <Printer aria-hidden />
              {t("report.exportPdf")}
            </Button>
            {summary.succeeded > 0 ? <DownloadAllResults teamId={teamId} taskId={taskId} /> : null}
          </>
        }
      />
      <Card>
        <CardHeader>
          <CardTitle>{t("report.summary")}</CardTitle>
        </CardHeader>
        <CardContent>
          <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
            <dt className="text-muted-foreground">{t("tasks.filterStatus")}</dt>
            <dd>
              <StatusBadge status={task.status} />
            </dd>
            <dt className="text-muted-foreground">{t("tasks.items")}</dt>
            <dd className="tabular-nums">
              {summary.succeeded}/{summary.items} · {t("status.failed")}: {summary.failed}
            </dd>
            <TaskRunFacts
              task={task}
              duration={
                <>
                  {formatMs(summary.wallMs, locale)} (Σ {formatMs(totalMs, locale)}, ⌀{" "}
                  {formatMs(meanMs, locale)})
                </>
              }
            />
            {task.dataset ? (
              <>
                <dt className="text-muted-foreground">{t("newTask.dataset")}</dt>
                <dd>{task.dataset.name}</dd>
              </>
            ) : null}
          </dl>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>{t("report.weight")}</CardTitle>
        </CardHeader>
        <CardContent>
          <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
            <dt className="text-muted-foreground">{t("weights.name")}</dt>
            <dd>
              {task.weight
                ? `${task.weight.name} · ${task.weight.family} ${task.weight.version}`
                : "—"}
              {task.weight?.isOfficial ? ` (${t("weights.official")})` : ""}
            </dd>
            <dt className="text-muted-foreground">{t("weights.sha256")}</dt>
            <dd className="break-all font-mono text-xs" data-testid="report-weight-sha256">
              {task.weight?.sha256 ?? task.weightSha256}
            </dd>
            <dt className="text-muted-foreground">{t("tasks.signature")}</dt>
            <dd className="break-all font-mono text-xs" data-testid="report-signature">
              {task.paramSignature}
            </dd>
          </dl>
          <h3 className="mt-4 mb-1 text-sm font-semibold">{t("tasks.params")}</h3>
          <pre className="overflow-auto rounded-md bg-muted p-3 text-xs">
            {JSON.stringify(task.params, null, 2)}
          </pre>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>{t("report.perItem")}</CardTitle>
        </CardHeader>
        <CardContent>
          <Table>
            <DataTableHeader
              columns={[
                t("report.results"),
                t("tasks.item"),
                t("tasks.filterStatus"),
                t("weights.size"),
                t("tasks.duration"),
                "SHA-256",
              ]}
            />
            <tbody>
              {items.map((item) => {
                const meta = (item.resultMeta ?? {}) as { width?: number; height?: number };
                return (
                  <TR key={item.id}>
                    <TD className="w-24">
                      {item.hasResult && kind !== "classification" ? (
                        // biome-ignore lint/performance/noImgElement: authorised route handler
                        <img
                          src={fileUrls.resultRendition(teamId, taskId, item.id, "thumb")}
                          alt={item.image.originalName}
                          loading="eager"
                          className="size-20 rounded border border-border object-contain checkerboard"
                        />
                      ) : null}
                    </TD>
                    <TD>
                      <Link
                        href={`/tasks/${taskId}/items/${item.id}`}
                        className="font-medium text-primary hover:underline"
                      >
                        {item.image.originalName}
                      </Link>
                      <span className="block text-xs text-muted-foreground">
                        {item.image.width}×{item.image.height}
                        {meta.width ? ` → ${meta.width}×${meta.height}` : ""}
                        {item.image.sizeBytes
                          ? ` · ${formatBytes(item.image.sizeBytes, locale)}`
                          : ""}
                      </span>
                      {item.error ? (
                        <span className="block text-xs text-destructive">{item.error}</span>
                      ) : null}
                    </TD>
                    <TD>
                      <StatusBadge status={item.status} />
                    </TD>
                    <TD>{item.resultBytes ? formatBytes(item.resultBytes, locale) : "—"}</TD>
                    <TD>{formatMs(itemMs(item.timings), locale)}</TD>
                    <TD className="max-w-40 break-all font-mono text-[10px]">
                      {item.resultSha256 ?? "—"}
                    </TD>
                  </TR>
                );
              })}
            </tbody>
          </Table>
        </CardContent>
      </Card>
    </article>
  );
}
