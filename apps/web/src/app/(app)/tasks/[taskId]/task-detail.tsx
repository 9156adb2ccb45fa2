"use client";

import type { TaskKind } from "@studio/core/spec";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Ban, FileText, RotateCcw, Trash2 } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { DataTableHeader } from "~/components/data-table-header";
import { MutationFeedback } from "~/components/form";
import { PageHeader } from "~/components/page-header";
import { ErrorState, Loading } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { useTeamId } from "~/components/team-context";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { Progress } from "~/components/ui/progress";
import { Table, TD, TR } from "~/components/ui/table";
import { formatMs, itemMs } from "~/lib/format";
import { isFinalTaskStatus } from "~/lib/polling";
import { useTaskRefetchInterval } from "~/lib/use-task-polling";
import { useTRPC } from "~/trpc/react";
import { DownloadAllResults } from "./task-links";
import { TaskRunFacts } from "./task-run-facts";

export function TaskDetail({ taskId }: { taskId: string }) {
  const t = useTranslations();
  const format = useFormatter();
  const locale = useLocale();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const router = useRouter();
  const queryClient = useQueryClient();
  const refetchInterval = useTaskRefetchInterval();
  const task = useQuery({ ...trpc.tasks.get.queryOptions({ teamId, taskId }), refetchInterval });
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.tasks.get.queryKey({ teamId, taskId }) });
  const cancel = useMutation(
    trpc.tasks.cancel.mutationOptions({ onSuccess: () => void invalidate() }),
  );
  const retry = useMutation(
    trpc.tasks.retryFailed.mutationOptions({ onSuccess: () => void invalidate() }),
  );
  const remove = useMutation(
    trpc.tasks.delete.mutationOptions({ onSuccess: () => router.push("/tasks") }),
  );

  if (task.isPending) return <Loading />;
  if (task.error) return <ErrorState error={task.error} onRetry={() => void task.refetch()} />;
  const data = task.data;
  const final = isFinalTaskStatus(data.status);
  const hasFailures = data.items.some((i) => i.status === "failed" || i.status === "canceled");
  const wall =
    data.startedAt && data.finishedAt ? data.finishedAt.getTime() - data.startedAt.getTime() : null;
  const mutationError = cancel.error ?? retry.error ?? remove.error;

  return (
    <>
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-3">
            {t(`kinds.${data.taskKind as TaskKind}`)}
            <StatusBadge status={data.status} />
          </span>
        }
        description={
          data.weight
            ? `${data.weight.name} · ${data.weight.family} ${data.weight.version}`
            : undefined
        }
        actions={
          <>
            {!final ? (
              <Button
                variant="outline"
                onClick={() => cancel.mutate({ teamId, taskId })}
                disabled={cancel.isPending || data.cancelRequested}
              >
                <Ban aria-hidden />
                {t("tasks.cancel")}
              </Button>
            ) : null}
            {final && hasFailures ? (
              <Button
                variant="outline"
                onClick={() => retry.mutate({ teamId, taskId })}
                disabled={retry.isPending}
              >
                <RotateCcw aria-hidden />
                {t("tasks.retryFailed")}
              </Button>
            ) : null}
            <Button asChild variant="outline">
              <Link href={`/tasks/${taskId}/report`}>
                <FileText aria-hidden />
                {t("tasks.report")}
              </Link>
            </Button>
            {data.itemsDone > 0 ? (
              <DownloadAllResults teamId={teamId} taskId={taskId} variant="outline" />
            ) : null}
            {data.status !== "running" ? (
              <Button
                variant="ghost"
                aria-label={t("tasks.delete")}
                onClick={() => {
                  if (window.confirm(t("tasks.delete"))) remove.mutate({ teamId, taskId });
                }}
              >
                <Trash2 aria-hidden />
              </Button>
            ) : null}
          </>
        }
      />
      <MutationFeedback error={mutationError} className="mb-4" />
      {data.error ? <Alert className="mb-4">{data.error}</Alert> : null}
      <div className="grid gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>{t("tasks.progress")}</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-3">
            <div className="flex items-center gap-3">
              <Progress
                value={data.progress * 100}
                aria-label={t("tasks.progress")}
                data-testid="task-progress"
              />
              <span className="w-14 text-right font-mono text-sm tabular-nums">
                {format.number(data.progress, { style: "percent" })}
              </span>
            </div>
            <p className="text-sm text-muted-foreground tabular-nums">
              {data.itemsDone}/{data.itemCount} · {t("status.failed")}: {data.itemsFailed}
            </p>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>{t("tasks.timings")}</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
              <TaskRunFacts task={data} duration={formatMs(wall, locale)} />
            </dl>
          </CardContent>
        </Card>
      </div>
      <Card className="mt-4">
        <CardHeader>
          <CardTitle>{t("tasks.items")}</CardTitle>
        </CardHeader>
        <CardContent>
          <Table>
            <DataTableHeader
              columns={[
                t("tasks.item"),
                t("tasks.filterStatus"),
                { label: t("tasks.progress"), className: "hidden w-32 md:table-cell" },
                { label: t("tasks.device"), className: "hidden sm:table-cell" },
                { label: t("tasks.duration"), className: "hidden sm:table-cell" },
              ]}
              actions
            />
            <tbody>
              {data.items.map((item) => (
                <TR key={item.id} data-testid="task-item" data-status={item.status}>
                  <TD className="max-w-56">
                    <span className="block truncate font-medium">{item.image.originalName}</span>
                    {item.error ? (
                      <span className="block text-xs text-destructive">{item.error}</span>
                    ) : null}
                  </TD>
                  <TD>
                    <StatusBadge status={item.status} />
                  </TD>
                  <TD className="hidden md:table-cell">
                    <Progress value={item.progress * 100} aria-label={item.image.originalName} />
                  </TD>
                  <TD className="hidden sm:table-cell">{item.device ?? "—"}</TD>
                  <TD className="hidden tabular-nums sm:table-cell">
                    {formatMs(itemMs(item.timings), locale)}
                  </TD>
                  <TD className="text-right">
                    {item.hasResult ? (
                      <Button asChild size="sm" variant="outline">
                        <Link href={`/tasks/${taskId}/items/${item.id}`}>{t("tasks.open")}</Link>
                      </Button>
                    ) : null}
                  </TD>
                </TR>
              ))}
            </tbody>
          </Table>
          <p className="mt-3 break-all text-xs text-muted-foreground">
            {t("tasks.signature")}: <code data-testid="task-signature">{data.paramSignature}</code>
          </p>
        </CardContent>
      </Card>
    </>
  );
}
