"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { Ban, FileText, RotateCcw, Trash2 } from "lucide-react";
import { ConfirmButton } from "~/components/confirm-button";
import { DataTable } from "~/components/data-table";
import { FactList } from "~/components/facts";
import { DetailProblems } from "~/components/form";
import { LinkButton } from "~/components/link-buttons";
import { PageHeader } from "~/components/page-header";
import { QueryFallback } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { TitledCard } from "~/components/titled-card";
import { Button } from "~/components/ui/button";
import { Progress } from "~/components/ui/progress";
import { TD, TR } from "~/components/ui/table";
import { formatMs, itemMs } from "~/lib/format";
import { isFinalTaskStatus } from "~/lib/polling";
import { routes } from "~/lib/routes";
import { useTaskRefetchInterval } from "~/lib/use-task-polling";
import { useTeamPage } from "~/lib/use-team-page";
import { ItemError } from "./item-error";
import { DownloadAllResults } from "./task-links";
import { TaskRunFacts } from "./task-run-facts";

export function TaskDetail({ taskId }: { taskId: string }) {
  const { t, format, locale, trpc, teamId, router, queryClient } = useTeamPage();
  const refetchInterval = useTaskRefetchInterval();
  const task = useQuery({ ...trpc.tasks.get.queryOptions({ teamId, taskId }), refetchInterval });
  const refreshAfter = {
    onSuccess: () =>
      void queryClient.invalidateQueries({
        queryKey: trpc.tasks.get.queryKey({ teamId, taskId }),
      }),
  };
  const cancel = useMutation(trpc.tasks.cancel.mutationOptions(refreshAfter));
  const retry = useMutation(trpc.tasks.retryFailed.mutationOptions(refreshAfter));
  const remove = useMutation(
    trpc.tasks.delete.mutationOptions({ onSuccess: () => router.push(routes.tasks(teamId)) }),
  );

  if (task.isPending || task.error) return <QueryFallback query={task} />;
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
            {t(`kinds.${data.taskKind}`)}
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
            <LinkButton variant="outline" href={routes.taskReport(teamId, taskId)}>
              <FileText aria-hidden />
              {t("tasks.report")}
            </LinkButton>
            {data.itemsDone > 0 ? (
              <DownloadAllResults teamId={teamId} taskId={taskId} variant="outline" />
            ) : null}
            {data.status !== "running" ? (
              <ConfirmButton
                variant="ghost"
                aria-label={t("tasks.delete")}
                confirmation={t("tasks.delete")}
                onConfirm={() => remove.mutate({ teamId, taskId })}
              >
                <Trash2 aria-hidden />
              </ConfirmButton>
            ) : null}
          </>
        }
      />
      <DetailProblems mutationError={mutationError} recorded={data.error} />
      <div className="grid gap-4 lg:grid-cols-3">
        <TitledCard
          className="lg:col-span-2"
          title={t("tasks.progress")}
          contentClassName="grid gap-3"
        >
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
        </TitledCard>
        <TitledCard title={t("tasks.timings")}>
          <FactList className="gap-x-3 gap-y-1">
            <TaskRunFacts task={data} duration={formatMs(wall, locale)} />
          </FactList>
        </TitledCard>
      </div>
      <TitledCard className="mt-4" title={t("tasks.items")}>
        <DataTable
          columns={[
            t("tasks.item"),
            t("tasks.filterStatus"),
            { label: t("tasks.progress"), className: "hidden w-32 md:table-cell" },
            { label: t("tasks.device"), className: "hidden sm:table-cell" },
            { label: t("tasks.duration"), className: "hidden sm:table-cell" },
          ]}
          actions
        >
          {data.items.map((item) => (
            <TR key={item.id} data-testid="task-item" data-status={item.status}>
              <TD className="max-w-56">
                <span className="block truncate font-medium">{item.image.originalName}</span>
                <ItemError error={item.error} />
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
                  <LinkButton
                    size="sm"
                    variant="outline"
                    href={routes.taskItem(teamId, taskId, item.id)}
                  >
                    {t("tasks.open")}
                  </LinkButton>
                ) : null}
              </TD>
            </TR>
          ))}
        </DataTable>
        <p className="mt-3 break-all text-xs text-muted-foreground">
          {t("tasks.signature")}: <code data-testid="task-signature">{data.paramSignature}</code>
        </p>
      </TitledCard>
    </>
  );
}
