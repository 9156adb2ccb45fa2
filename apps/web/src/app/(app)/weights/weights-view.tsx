"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useLocale, useTranslations } from "next-intl";
import { DataTableHeader } from "~/components/data-table-header";
import { PageHeader } from "~/components/page-header";
import { EmptyState, ErrorState, Loading } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { useTeam, useTeamId } from "~/components/team-context";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { Table, TD, TR } from "~/components/ui/table";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "~/components/ui/tabs";
import { formatBytes } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { WeightUpload } from "./weight-upload";

type Kind = "segmentation" | "super_resolution" | "classification";

function WeightLabels({
  w,
}: {
  w: { isOfficial: boolean; isDefault: boolean; deprecatedAt: Date | null };
}) {
  const t = useTranslations("weights");
  return (
    <span className="inline-flex flex-wrap gap-1">
      {w.isOfficial ? <Badge tone="info">{t("official")}</Badge> : null}
      {w.isDefault ? <Badge tone="success">{t("default")}</Badge> : null}
      {w.deprecatedAt ? <Badge tone="warning">{t("deprecate")}</Badge> : null}
    </span>
  );
}

type WeightRow = {
  id: string;
  taskKind: string;
  family: string;
  version: string;
  name: string;
  status: string;
  isOfficial: boolean;
  isDefault: boolean;
  deprecatedAt: Date | null;
};

function groupTree<W extends WeightRow>(weights: W[]) {
  const kinds = new Map<string, Map<string, W[]>>();
  for (const w of weights) {
    const families = kinds.get(w.taskKind) ?? new Map<string, W[]>();
    kinds.set(w.taskKind, families);
    families.set(w.family, [...(families.get(w.family) ?? []), w]);
  }
  return [...kinds].map(([taskKind, families]) => ({
    taskKind,
    families: [...families].map(([family, versions]) => ({ family, versions })),
  }));
}

export function WeightsView() {
  const t = useTranslations();
  const locale = useLocale();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const { team } = useTeam();
  const isAdmin = team?.role === "ADMIN";
  const list = useQuery(trpc.weights.list.queryOptions({ teamId, includeDeprecated: true }));
  // The version tree is grouped here from the list: one request serves both tabs.
  const treeData = list.data ? groupTree(list.data) : [];

  return (
    <>
      <PageHeader title={t("weights.title")} />
      <div className="grid gap-4">
        {isAdmin ? <WeightUpload /> : <Alert variant="info">{t("weights.adminOnly")}</Alert>}
        <Tabs defaultValue="tree">
          <TabsList>
            <TabsTrigger value="tree">{t("weights.tree")}</TabsTrigger>
            <TabsTrigger value="list">{t("weights.list")}</TabsTrigger>
          </TabsList>
          <TabsContent value="tree">
            {list.isPending ? (
              <Loading />
            ) : list.error ? (
              <ErrorState error={list.error} onRetry={() => void list.refetch()} />
            ) : treeData.length === 0 ? (
              <EmptyState>{t("weights.empty")}</EmptyState>
            ) : (
              <div className="grid gap-4 md:grid-cols-2">
                {treeData.map((node) => (
                  <Card key={node.taskKind}>
                    <CardHeader>
                      <CardTitle>{t(`kinds.${node.taskKind as Kind}`)}</CardTitle>
                    </CardHeader>
                    <CardContent>
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
                                  <Link
                                    href={`/weights/${w.id}`}
                                    className="text-primary hover:underline"
                                  >
                                    {w.version} · {w.name}
                                  </Link>
                                  <StatusBadge status={w.status} />
                                  <WeightLabels w={w} />
                                </li>
                              ))}
                            </ul>
                          </li>
                        ))}
                      </ul>
                    </CardContent>
                  </Card>
                ))}
              </div>
            )}
          </TabsContent>
          <TabsContent value="list">
            {list.isPending ? (
              <Loading />
            ) : list.error ? (
              <ErrorState error={list.error} onRetry={() => void list.refetch()} />
            ) : list.data.length === 0 ? (
              <EmptyState>{t("weights.empty")}</EmptyState>
            ) : (
              <Table>
                <DataTableHeader
                  columns={[
                    t("weights.name"),
                    t("weights.kind"),
                    { label: t("weights.family"), className: "hidden md:table-cell" },
                    { label: t("weights.version"), className: "hidden sm:table-cell" },
                    { label: t("weights.size"), className: "hidden md:table-cell" },
                    t("weights.status"),
                  ]}
                />
                <tbody>
                  {list.data.map((w) => (
                    <TR key={w.id}>
                      <TD>
                        <Link
                          href={`/weights/${w.id}`}
                          className="font-medium text-primary hover:underline"
                        >
                          {w.name}
                        </Link>{" "}
                        <WeightLabels w={w} />
                      </TD>
                      <TD>{t(`kinds.${w.taskKind as Kind}`)}</TD>
                      <TD className="hidden md:table-cell">{w.family}</TD>
                      <TD className="hidden sm:table-cell">{w.version}</TD>
                      <TD className="hidden md:table-cell">{formatBytes(w.sizeBytes, locale)}</TD>
                      <TD>
                        <StatusBadge status={w.status} />
                      </TD>
                    </TR>
                  ))}
                </tbody>
              </Table>
            )}
          </TabsContent>
        </Tabs>
      </div>
    </>
  );
}
