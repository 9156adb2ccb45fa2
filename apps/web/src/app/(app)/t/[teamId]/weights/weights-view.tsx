"use client";

import type { RouterOutputs } from "@studio/api";
import { groupWeightTree } from "@studio/contracts/weights";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { QueryTable } from "~/components/data-table";
import { PageHeader } from "~/components/page-header";
import { EmptyState, QueryView } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { useTeam } from "~/components/team-context";
import { NameLink, TextLink } from "~/components/text-link";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { TD, TR } from "~/components/ui/table";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "~/components/ui/tabs";
import { formatBytes } from "~/lib/format";
import { routes } from "~/lib/routes";
import { useTeamPage } from "~/lib/use-team-page";
import { WeightUploadDialog } from "./weight-upload";

function WeightLabels({ w }: { w: WeightRow }) {
  const t = useTranslations("weights");
  return (
    <span className="inline-flex flex-wrap gap-1">
      {w.isOfficial ? <Badge tone="info">{t("official")}</Badge> : null}
      {w.isDefault ? <Badge tone="success">{t("default")}</Badge> : null}
      {w.deprecatedAt ? <Badge tone="warning">{t("deprecate")}</Badge> : null}
    </span>
  );
}

type WeightRow = RouterOutputs["weights"]["list"][number];

export function WeightsView() {
  const { t, locale, trpc, teamId } = useTeamPage();
  const { team } = useTeam();
  const isAdmin = team?.role === "ADMIN";
  const list = useQuery(trpc.weights.list.queryOptions({ teamId, includeDeprecated: true }));
  const empty = <EmptyState>{t("weights.empty")}</EmptyState>;

  return (
    <>
      <PageHeader
        title={t("weights.title")}
        actions={isAdmin ? <WeightUploadDialog /> : undefined}
      />
      <div className="grid gap-4">
        <Tabs defaultValue="tree">
          <TabsList>
            <TabsTrigger value="tree">{t("weights.tree")}</TabsTrigger>
            <TabsTrigger value="list">{t("weights.list")}</TabsTrigger>
          </TabsList>
          <TabsContent value="tree">
            <QueryView query={list} empty={empty}>
              {(weights) => (
                <div className="grid gap-4 md:grid-cols-2">
                  {/* The version tree is grouped here from the list: one request serves both tabs. */}
                  {groupWeightTree(weights).map((node) => (
                    <TitledCard key={node.taskKind} title={t(`kinds.${node.taskKind}`)}>
                      <ul className="grid gap-3">
                        {node.families.map((family) => (
                          <li key={family.family}>
                            <p className="text-sm font-semibold">{family.family}</p>
                            <ul className="mt-1 grid gap-1 border-l border-border pl-3">
                              {family.versions.map((w) => (
                                <li
                                  key={w.id}
                                  className="flex flex-wrap items-center gap-2 text-sm"
                                >
                                  <TextLink href={routes.weight(teamId, w.id)}>
                                    {w.version} · {w.name}
                                  </TextLink>
                                  <StatusBadge status={w.status} />
                                  <WeightLabels w={w} />
                                </li>
                              ))}
                            </ul>
                          </li>
                        ))}
                      </ul>
                    </TitledCard>
                  ))}
                </div>
              )}
            </QueryView>
          </TabsContent>
          <TabsContent value="list">
            <QueryTable
              query={list}
              empty={empty}
              columns={[
                t("weights.name"),
                t("weights.kind"),
                { label: t("weights.family"), className: "hidden md:table-cell" },
                { label: t("weights.version"), className: "hidden sm:table-cell" },
                { label: t("weights.size"), className: "hidden md:table-cell" },
                t("weights.status"),
              ]}
            >
              {(w) => (
                <TR key={w.id}>
                  <TD>
                    <NameLink href={routes.weight(teamId, w.id)}>{w.name}</NameLink>{" "}
                    <WeightLabels w={w} />
                  </TD>
                  <TD>{t(`kinds.${w.taskKind}`)}</TD>
                  <TD className="hidden md:table-cell">{w.family}</TD>
                  <TD className="hidden sm:table-cell">{w.version}</TD>
                  <TD className="hidden md:table-cell">{formatBytes(w.sizeBytes, locale)}</TD>
                  <TD>
                    <StatusBadge status={w.status} />
                  </TD>
                </TR>
              )}
            </QueryTable>
          </TabsContent>
        </Tabs>
        {isAdmin ? null : <Alert variant="info">{t("weights.adminOnly")}</Alert>}
      </div>
    </>
  );
}
