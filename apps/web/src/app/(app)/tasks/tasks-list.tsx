"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { PlusCircle } from "lucide-react";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { PageHeader } from "~/components/page-header";
import { EmptyState, ErrorState, Loading } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { useTeamId } from "~/components/team-context";
import { Button } from "~/components/ui/button";
import { Progress } from "~/components/ui/progress";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "~/components/ui/select";
import { Table, TD, TH, THead, TR } from "~/components/ui/table";
import { isFinalTaskStatus } from "~/lib/polling";
import { useTRPC } from "~/trpc/react";

const STATUSES = [
  "queued",
  "running",
  "succeeded",
  "partially_failed",
  "failed",
  "canceled",
] as const;
const KINDS = ["segmentation", "super_resolution", "classification"] as const;
type Kind = (typeof KINDS)[number];

export function TasksList() {
  const t = useTranslations();
  const format = useFormatter();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const [status, setStatus] = useState<(typeof STATUSES)[number] | "all">("all");
  const [kind, setKind] = useState<string>("all");

  const tasks = useInfiniteQuery(
    trpc.tasks.list.infiniteQueryOptions(
      {
        teamId,
        limit: 20,
        status: status === "all" ? null : [status],
        taskKind: kind === "all" ? null : (kind as Kind),
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
        <div className="grid gap-1">
          <span id="filter-status" className="text-xs text-muted-foreground">
            {t("tasks.filterStatus")}
          </span>
          <Select value={status} onValueChange={(v) => setStatus(v as typeof status)}>
            <SelectTrigger className="w-44" aria-labelledby="filter-status">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="all">{t("common.all")}</SelectItem>
              {STATUSES.map((s) => (
                <SelectItem key={s} value={s}>
                  {t(`status.${s}`)}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </div>
        <div className="grid gap-1">
          <span id="filter-kind" className="text-xs text-muted-foreground">
            {t("tasks.filterKind")}
          </span>
          <Select value={kind} onValueChange={setKind}>
            <SelectTrigger className="w-48" aria-labelledby="filter-kind">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value="all">{t("common.all")}</SelectItem>
              {KINDS.map((k) => (
                <SelectItem key={k} value={k}>
                  {t(`kinds.${k}`)}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </div>
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
            <THead>
              <tr>
                <TH>{t("tasks.created")}</TH>
                <TH>{t("tasks.kind")}</TH>
                <TH className="hidden sm:table-cell">{t("tasks.weight")}</TH>
                <TH>{t("tasks.filterStatus")}</TH>
                <TH className="hidden w-40 md:table-cell">{t("tasks.progress")}</TH>
                <TH className="hidden sm:table-cell">{t("tasks.items")}</TH>
              </tr>
            </THead>
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
                  <TD>{t(`kinds.${task.taskKind as Kind}`)}</TD>
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
          {tasks.hasNextPage ? (
            <div className="mt-4 flex justify-center">
              <Button
                variant="outline"
                onClick={() => void tasks.fetchNextPage()}
                disabled={tasks.isFetchingNextPage}
              >
                {t("tasks.loadMore")}
              </Button>
            </div>
          ) : null}
        </>
      )}
    </>
  );
}
