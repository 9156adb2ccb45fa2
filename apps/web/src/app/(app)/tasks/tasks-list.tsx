"use client";

import { TASK_KINDS, type TaskKind } from "@studio/core/spec";
import { TASK_STATUSES } from "@studio/db/status";
import { useInfiniteQuery } from "@tanstack/react-query";
import { PlusCircle } from "lucide-react";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { DataTableHeader } from "~/components/data-table-header";
import { LoadMore } from "~/components/load-more";
import { PageHeader } from "~/components/page-header";
import { EmptyState, ErrorState, Loading } from "~/components/query-state";
import { SelectControl, type SelectControlProps } from "~/components/select-field";
import { StatusBadge } from "~/components/status-badge";
import { useTeamId } from "~/components/team-context";
import { Button } from "~/components/ui/button";
import { Progress } from "~/components/ui/progress";
import { Table, TD, TR } from "~/components/ui/table";
import { isFinalTaskStatus } from "~/lib/polling";
import { useTRPC } from "~/trpc/react";

export function TasksList() {
  const t = useTranslations();
  const format = useFormatter();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const [status, setStatus] = useState<(typeof TASK_STATUSES)[number] | "all">("all");
  const [kind, setKind] = useState<TaskKind | "all">("all");

  const tasks = useInfiniteQuery(
    trpc.tasks.list.infiniteQueryOptions(
      {
        teamId,
        limit: 20,
        status: status === "all" ? null : [status],
        taskKind: kind === "all" ? null : kind,
      },
      {
        getNextPageParam: (last) => last.nextCursor ?? undefined,
        // Keep the list live while something in it is still moving; stop otherwise.
        refetchInterval: (query) => {
          const pages = query.state.data?.pages ?? [];
          const moving = pages.some((p) => p.items.some((task) => !isFinalTaskStatus(task.status)));
          return moving ? 3000 : false;
        },
      },
    ),
  );
  const rows = tasks.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader
        title={t("tasks.title")}
        actions={
          <Button asChild>
            <Link href="/tasks/new">
              <PlusCircle aria-hidden />
              {t("tasks.new")}
            </Link>
          </Button>
        }
      />
      <div className="mb-4 flex flex-wrap gap-3">
        <Filter
          id="filter-status"
          caption={t("tasks.filterStatus")}
          className="w-44"
          value={status}
          onValueChange={setStatus}
          options={[
            { value: "all", label: t("common.all") },
            ...TASK_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
          ]}
        />
        <Filter
          id="filter-kind"
          caption={t("tasks.filterKind")}
          className="w-48"
          value={kind}
          onValueChange={setKind}
          options={[
            { value: "all", label: t("common.all") },
            ...TASK_KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) })),
          ]}
        />
      </div>
      {tasks.isPending ? (
        <Loading />
      ) : tasks.error ? (
        <ErrorState error={tasks.error} onRetry={() => void tasks.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState
          action={
            <Button asChild variant="outline">
              <Link href="/tasks/new">{t("tasks.new")}</Link>
            </Button>
          }
        >
          {t("tasks.empty")}
        </EmptyState>
      ) : (
        <>
          <Table>
            <DataTableHeader
              columns={[
                t("tasks.created"),
                t("tasks.kind"),
                { label: t("tasks.weight"), className: "hidden sm:table-cell" },
                t("tasks.filterStatus"),
                { label: t("tasks.progress"), className: "hidden w-40 md:table-cell" },
                { label: t("tasks.items"), className: "hidden sm:table-cell" },
              ]}
            />
            <tbody>
              {rows.map((task) => (
                <TR key={task.id} data-testid="task-row">
                  <TD>
                    <Link
                      href={`/tasks/${task.id}`}
                      className="font-medium text-primary hover:underline"
                    >
                      {format.dateTime(task.createdAt, { dateStyle: "medium", timeStyle: "short" })}
                    </Link>
                  </TD>
                  <TD>{t(`kinds.${task.taskKind as TaskKind}`)}</TD>
                  <TD className="hidden max-w-48 truncate sm:table-cell">
                    {task.weight ? `${task.weight.family} ${task.weight.version}` : "—"}
                  </TD>
                  <TD>
                    <StatusBadge status={task.status} />
                  </TD>
                  <TD className="hidden md:table-cell">
                    <Progress value={task.progress * 100} aria-label={t("tasks.progress")} />
                  </TD>
                  <TD className="hidden tabular-nums sm:table-cell">
                    {task.itemsDone}/{task.itemCount}
                  </TD>
                </TR>
              ))}
            </tbody>
          </Table>
          <LoadMore pages={tasks} label={t("tasks.loadMore")} className="mt-4" />
        </>
      )}
    </>
  );
}

/** A select above the list, captioned by the small text with `id`. */
function Filter<V extends string>({
  id,
  caption,
  ...control
}: Omit<SelectControlProps<V>, "labelledBy" | "ariaLabel"> & { id: string; caption: string }) {
  return (
    <div className="grid gap-1">
      <span id={id} className="text-xs text-muted-foreground">
        {caption}
      </span>
      <SelectControl labelledBy={id} {...control} />
    </div>
  );
}
