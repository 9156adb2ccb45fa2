"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { ErrorState, Loading } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { useTeamId } from "~/components/team-context";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { isFinalTaskStatus } from "~/lib/polling";
import { useTRPC } from "~/trpc/react";

type Kind = "segmentation" | "super_resolution" | "classification";

export function RecentTasks() {
  const t = useTranslations();
  const format = useFormatter();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const tasks = useQuery({
    ...trpc.tasks.list.queryOptions({ teamId, limit: 5 }),
    refetchInterval: (query) =>
      query.state.data?.items.some((task) => !isFinalTaskStatus(task.status)) ? 3000 : false,
  });
  return (
    <Card className="md:col-span-2">
      <CardHeader className="flex-row items-center justify-between">
        <CardTitle>{t("dashboard.recentTasks")}</CardTitle>
        <Button asChild variant="link" size="sm">
          <Link href="/tasks">{t("dashboard.viewAll")}</Link>
        </Button>
      </CardHeader>
      <CardContent>
        {tasks.isPending ? (
          <Loading />
        ) : tasks.error ? (
          <ErrorState error={tasks.error} onRetry={() => void tasks.refetch()} />
        ) : tasks.data.items.length === 0 ? (
          <p className="text-sm text-muted-foreground">
            {t("dashboard.noTasks")}{" "}
            <Link href="/tasks/new" className="text-primary hover:underline">
              {t("nav.newTask")}
            </Link>
          </p>
        ) : (
          <ul className="divide-y divide-border">
            {tasks.data.items.map((task) => (
              <li
                key={task.id}
                className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm"
              >
                <Link
                  href={`/tasks/${task.id}`}
                  className="font-medium text-primary hover:underline"
                >
                  {t(`kinds.${task.taskKind as Kind}`)}
                </Link>
                <StatusBadge status={task.status} />
                <span className="text-muted-foreground tabular-nums">
                  {task.itemsDone}/{task.itemCount}
                </span>
                <span className="ml-auto text-xs text-muted-foreground">
                  {format.relativeTime(task.createdAt)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
