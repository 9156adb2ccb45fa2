"use client";

import { useMutation } from "@tanstack/react-query";
import { Ban, FileText, Play, RotateCcw, Trash2 } from "lucide-react";
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
import { formatBytes, formatMs, itemMs } from "~/lib/format";
import { isFinalTaskStatus } from "~/lib/polling";
import { routes } from "~/lib/routes";
import { usePolledTask } from "~/lib/use-task-polling";
import { useTeamPage } from "~/lib/use-team-page";
import { ItemError } from "./item-error";
import { RenameTask } from "./rename-task";
import { ResultGallery } from "./result-gallery";
import { DownloadAllResults } from "./task-links";
import { TaskParams } from "./task-params";
import { TaskRunFacts } from "./task-run-facts";
import { TaskScoresView } from "./task-scores";

export function TaskDetail({ taskId }: { taskId: string }) {
  const { t, format, locale, trpc, teamId, router, queryClient } = useTeamPage();
  const task = usePolledTask(teamId, taskId);
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
  // Retrying puts failed and canceled images back in the queue. The button says which it is:
  // "Retry failed images" only when one failed, "Resume" for a stopped task with none failed.
  const hasFailed = data.items.some((i) => i.status === "failed");
  const hasCanceled = data.items.some((i) => i.status === "canceled");
  const results = data.items.filter((i) => i.hasResult);
  const resultBytes = results.reduce((sum, i) => sum + (i.resultBytes ?? 0), 0);
  const wall =
    data.startedAt && data.finishedAt ? data.finishedAt.getTime() - data.startedAt.getTime() : null;
  const mutationError = cancel.error ?? retry.error ?? remove.error;
  const kindWords = t(`kinds.${data.taskKind}`);

  return (
    <>
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-3">
            <span className="min-w-0 break-words" data-testid="task-name">
              {data.name || kindWords}
            </span>
            <StatusBadge status={data.status} />
          </span>
        }
        // The kind in words unless the name starts with it (as default names do); the model is
        // a line of the parameters card, so the header does not repeat it.
        description={data.name.startsWith(kindWords) ? undefined : kindWords}
        actions={
          <>
            <RenameTask taskId={taskId} name={data.name} />
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
            {final && (hasFailed || hasCanceled) ? (
              <Button
                variant="outline"
                onClick={() => retry.mutate({ teamId, taskId })}
                disabled={retry.isPending}
              >
                {hasFailed ? <RotateCcw aria-hidden /> : <Play aria-hidden />}
                {hasFailed ? t("tasks.retryFailed") : t("tasks.resume")}
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
                confirmation={t("tasks.deleteTitle")}
                description={t("tasks.deleteDescription", {
                  results: results.length,
                  size: formatBytes(resultBytes, locale),
                })}
                confirmLabel={t("tasks.deleteConfirm")}
                onConfirm={() => remove.mutate({ teamId, taskId })}
              >
                <Trash2 aria-hidden />
              </ConfirmButton>
            ) : null}
          </>
        }
      />
      <DetailProblems
        mutationError={mutationError}
        recorded={data.error}
        recordedGeneral={t("tasks.taskFailed")}
      />
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
        <TitledCard className="lg:col-span-3" title={t("tasks.params")}>
          <TaskParams task={data} />
        </TitledCard>
      </div>
      {results.length > 0 ? (
        <TitledCard className="mt-4" title={t("tasks.results")}>
          <ResultGallery teamId={teamId} task={data} />
        </TitledCard>
      ) : null}
      {data.scores ? (
        <TitledCard
          className="mt-4"
          title={t("scores.title")}
          description={t("scores.description")}
        >
          <TaskScoresView scores={data.scores} items={data.items} />
        </TitledCard>
      ) : null}
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
              {/* Takes the room the other cells leave and truncates there, so on a phone the
                  row's button stays in view. */}
              <TD className="w-full max-w-0">
                <span className="block truncate font-medium" title={item.image.originalName}>
                  {item.image.originalName}
                </span>
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
      </TitledCard>
    </>
  );
}
