"use client";

import { useQuery } from "@tanstack/react-query";
import { useNow } from "next-intl";
import { LinkButton } from "~/components/link-buttons";
import { QueryView } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { NameLink, TextLink } from "~/components/text-link";
import { TitledCard } from "~/components/titled-card";
import { isFinalTaskStatus } from "~/lib/polling";
import { routes } from "~/lib/routes";
import { useTeamPage } from "~/lib/use-team-page";

export function RecentTasks() {
  const { t, format, trpc, teamId } = useTeamPage();
  // A reference time of this browser's clock, ticking each minute: without one next-intl falls
  // back to a per-render Date.now() and warns (ENVIRONMENT_FALLBACK) in the console.
  const now = useNow({ updateInterval: 60_000 });
  const tasks = useQuery({
    ...trpc.tasks.list.queryOptions({ teamId, limit: 5 }),
    refetchInterval: (query) =>
      query.state.data?.items.some((task) => !isFinalTaskStatus(task.status)) ? 3000 : false,
  });
  return (
    <TitledCard
      className="md:col-span-2"
      title={t("dashboard.recentTasks")}
      action={
        <LinkButton variant="link" size="sm" href={routes.tasks(teamId)}>
          {t("dashboard.viewAll")}
        </LinkButton>
      }
    >
      <QueryView
        query={tasks}
        isEmpty={(data) => data.items.length === 0}
        empty={
          <p className="text-sm text-muted-foreground">
            {t("dashboard.noTasks")}{" "}
            <TextLink href={routes.newTask(teamId)}>{t("nav.newTask")}</TextLink>
          </p>
        }
      >
        {(data) => (
          <ul className="divide-y divide-border">
            {data.items.map((task) => (
              <li
                key={task.id}
                className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm"
              >
                <NameLink
                  href={routes.task(teamId, task.id)}
                  className="min-w-0 max-w-full truncate"
                  title={task.name}
                  data-testid="recent-task-name"
                >
                  {task.name || t(`kinds.${task.taskKind}`)}
                </NameLink>
                <StatusBadge status={task.status} />
                <span className="text-muted-foreground tabular-nums">
                  {task.itemsDone}/{task.itemCount}
                </span>
                <span className="ml-auto text-xs text-muted-foreground">
                  {format.relativeTime(task.createdAt, now)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </TitledCard>
  );
}
