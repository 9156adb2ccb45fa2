"use client";

import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { PageHeader } from "~/components/page-header";
import { ErrorState, Loading } from "~/components/query-state";
import { useTeam } from "~/components/team-context";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { useTRPC } from "~/trpc/react";
import { RecentTasks } from "./recent-tasks";
import { SystemCard } from "./system-card";

export function Dashboard() {
  const t = useTranslations();
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const { team } = useTeam();

  if (me.isPending) return <Loading />;
  if (me.error) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  const user = me.data;

  return (
    <>
      <PageHeader
        title={t("dashboard.title")}
        description={t("dashboard.welcome", { name: user.name })}
      />
      <div className="grid gap-4 md:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>{t("dashboard.you")}</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
              <dt className="text-muted-foreground">{t("common.name")}</dt>
              <dd data-testid="current-user-name" className="font-medium">
                {user.name}
              </dd>
              <dt className="text-muted-foreground">{t("dashboard.email")}</dt>
              <dd className="break-all">{user.email}</dd>
              {user.isSiteAdmin ? (
                <>
                  <dt className="sr-only">{t("dashboard.role")}</dt>
                  <dd className="col-span-2">
                    <Badge tone="info">{t("dashboard.siteAdmin")}</Badge>
                  </dd>
                </>
              ) : null}
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>{t("dashboard.team")}</CardTitle>
          </CardHeader>
          <CardContent>
            {team ? (
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                <dt className="text-muted-foreground">{t("common.name")}</dt>
                <dd data-testid="current-team-name" className="font-medium">
                  {team.name} {team.isPersonal ? <Badge>{t("dashboard.personal")}</Badge> : null}
                </dd>
                <dt className="text-muted-foreground">{t("dashboard.role")}</dt>
                <dd>{t(`roles.${team.role}`)}</dd>
                <dt className="text-muted-foreground">{t("dashboard.teams")}</dt>
                <dd>{user.teams.length}</dd>
              </dl>
            ) : null}
          </CardContent>
        </Card>
        <RecentTasks />
        <SystemCard />
      </div>
    </>
  );
}
