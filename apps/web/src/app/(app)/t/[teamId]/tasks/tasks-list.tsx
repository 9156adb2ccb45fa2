"use client";

import { TASK_KINDS, TASK_STATUSES, type TaskKind, type TaskStatus } from "@studio/contracts/task";
import { useInfiniteQuery } from "@tanstack/react-query";
import { PlusCircle } from "lucide-react";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { DataTable } from "~/components/data-table";
import { LinkButton } from "~/components/link-buttons";
import { PagedQueryView } from "~/components/load-more";
import { PageHeader } from "~/components/page-header";
import { EmptyState } from "~/components/query-state";
import {
  SelectControl,
  type SelectControlProps,
  type SelectOption,
} from "~/components/select-field";
import { StatusBadge } from "~/components/status-badge";
import { NameLink } from "~/components/text-link";
import { Progress } from "~/components/ui/progress";
import { TD, TR } from "~/components/ui/table";
import { isFinalTaskStatus } from "~/lib/polling";
import { routes } from "~/lib/routes";
import { useTeamPage } from "~/lib/use-team-page";

export function TasksList() {
  const { t, format, trpc, teamId } = useTeamPage();
  const [status, setStatus] = useState<TaskStatus | "all">("all");
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
          <LinkButton href={routes.newTask(teamId)}>
            <PlusCircle aria-hidden />
            {t("tasks.new")}
          </LinkButton>
        }
      />
      <div className="mb-4 flex flex-wrap gap-3">
        <Filter
          id="filter-status"
          caption={t("tasks.filterStatus")}
          className="w-44"
          value={status}
          onValueChange={setStatus}
          options={TASK_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
        />
        <Filter
          id="filter-kind"
          caption={t("tasks.filterKind")}
          className="w-48"
          value={kind}
          onValueChange={setKind}
          options={TASK_KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) }))}
        />
      </div>
      <PagedQueryView
        query={tasks}
        items={rows}
        empty={
          <EmptyState
            action={
              <LinkButton variant="outline" href={routes.newTask(teamId)}>
                {t("tasks.new")}
              </LinkButton>
            }
          >
            {t("tasks.empty")}
          </EmptyState>
        }
        loadMoreLabel={t("tasks.loadMore")}
        loadMoreClassName="mt-4"
      >
        <DataTable
          columns={[
            t("tasks.name"),
            { label: t("tasks.kind"), className: "hidden lg:table-cell" },
            { label: t("tasks.weight"), className: "hidden sm:table-cell" },
            t("tasks.filterStatus"),
            { label: t("tasks.progress"), className: "hidden w-40 md:table-cell" },
            { label: t("tasks.items"), className: "hidden sm:table-cell" },
          ]}
        >
          {rows.map((task) => (
            <TR key={task.id} data-testid="task-row">
              {/* The name takes the room the other cells leave; the creation time under it. */}
              <TD className="w-full max-w-0">
                <NameLink
                  href={routes.task(teamId, task.id)}
                  className="block truncate"
                  title={task.name}
                  data-testid="task-row-name"
                >
                  {task.name || t(`kinds.${task.taskKind}`)}
                </NameLink>
                <span className="block text-xs text-muted-foreground">
                  {format.dateTime(task.createdAt, { dateStyle: "medium", timeStyle: "short" })}
                </span>
              </TD>
              <TD className="hidden whitespace-nowrap lg:table-cell">
                {t(`kinds.${task.taskKind}`)}
              </TD>
              <TD
                className="hidden max-w-56 truncate sm:table-cell"
                title={task.weight ? `${task.weight.family} ${task.weight.version}` : undefined}
              >
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
        </DataTable>
      </PagedQueryView>
    </>
  );
}

/** A select above the list, captioned by the small text with `id`; its first option is "all". */
function Filter<V extends string>({
  id,
  caption,
  options,
  ...control
}: Omit<SelectControlProps<V | "all">, "labelledBy" | "ariaLabel" | "options"> & {
  id: string;
  caption: string;
  options: SelectOption<V>[];
}) {
  const t = useTranslations("common");
  return (
    <div className="grid gap-1">
      <span id={id} className="text-xs text-muted-foreground">
        {caption}
      </span>
      <SelectControl
        labelledBy={id}
        options={[{ value: "all", label: t("all") }, ...options]}
        {...control}
      />
    </div>
  );
}
