"use client";

import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { Fact, FactList } from "~/components/facts";
import { PageHeader } from "~/components/page-header";
import { QueryFallback } from "~/components/query-state";
import { useTeam } from "~/components/team-context";
import { TitledCard } from "~/components/titled-card";
import { Badge } from "~/components/ui/badge";
import { personalTeamOwner } from "~/lib/team-name";
import { useTRPC } from "~/trpc/react";
import { RecentTasks } from "./recent-tasks";
import { SystemCard } from "./system-card";

export function Dashboard() {
  const t = useTranslations();
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const { team } = useTeam();

  if (me.isPending || me.error) return <QueryFallback query={me} />;
  const user = me.data;

  return (
    <>
      <PageHeader
        title={t("dashboard.title")}
        description={t("dashboard.welcome", { name: user.name })}
      />
      <div className="grid gap-4 md:grid-cols-2">
        <TitledCard title={t("dashboard.you")}>
          <FactList>
            <Fact label={t("common.name")} testId="current-user-name" className="font-medium">
              {user.name}
            </Fact>
            <Fact label={t("dashboard.email")} className="break-all">
              {user.email}
            </Fact>
            {user.isSiteAdmin ? (
              <>
                <dt className="sr-only">{t("dashboard.role")}</dt>
                <dd className="col-span-2">
                  <Badge tone="info">{t("dashboard.siteAdmin")}</Badge>
                </dd>
              </>
            ) : null}
          </FactList>
        </TitledCard>
        <TitledCard title={t("dashboard.team")}>
          {team ? (
            <FactList>
              <Fact label={t("common.name")} testId="current-team-name" className="font-medium">
                {personalTeamOwner(team) ?? team.name}{" "}
                {team.isPersonal ? <Badge>{t("dashboard.personal")}</Badge> : null}
              </Fact>
              <Fact label={t("dashboard.role")}>{t(`roles.${team.role}`)}</Fact>
              <Fact label={t("dashboard.teams")}>{user.teams.length}</Fact>
            </FactList>
          ) : null}
        </TitledCard>
        <RecentTasks />
        <SystemCard />
      </div>
    </>
  );
}
