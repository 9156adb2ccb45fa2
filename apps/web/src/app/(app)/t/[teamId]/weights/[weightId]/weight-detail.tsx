"use client";

import type { RouterOutputs } from "@studio/api";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Archive, Star, Trash2 } from "lucide-react";
import { useTranslations } from "next-intl";
import { ConfirmButton } from "~/components/confirm-button";
import { DataTable } from "~/components/data-table";
import { Fact, FactList } from "~/components/facts";
import { DetailProblems } from "~/components/form";
import { DownloadButton } from "~/components/link-buttons";
import { PageHeader } from "~/components/page-header";
import { QueryFallback } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { useTeam } from "~/components/team-context";
import { TitledCard } from "~/components/titled-card";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { TD, TR } from "~/components/ui/table";
import { fileUrls } from "~/lib/file-urls";
import { formatBytes } from "~/lib/format";
import { type OfficialIds, weightDescription } from "~/lib/official-descriptions";
import { routes } from "~/lib/routes";
import { useTeamPage } from "~/lib/use-team-page";
import { detectedArchitecture, ImportReportDetails, parseImportReport } from "../import-report";
import { hasInt8Mode, Int8Mode } from "./int8-mode";

type TensorInfo = RouterOutputs["weights"]["get"]["ioMetadata"]["inputs"][number];

function TensorTable({ tensors }: { tensors: TensorInfo[] }) {
  const t = useTranslations("weights");
  return (
    <DataTable columns={[t("tensor"), t("type"), t("shape")]}>
      {tensors.map((tensor, i) => (
        <TR key={tensor.name || i}>
          {/* Graph names and symbolic dimensions are long single words: they wrap anywhere so
              the table fits a phone. */}
          <TD className="font-mono text-xs break-all" translate="no">
            {tensor.name || "—"}
          </TD>
          <TD className="font-mono text-xs">{tensor.dtype}</TD>
          <TD className="font-mono text-xs break-all" translate="no">
            {tensor.shape
              ? `[${tensor.shape.map((d) => (d === null ? "?" : String(d))).join(", ")}]`
              : "?"}
          </TD>
        </TR>
      ))}
    </DataTable>
  );
}

export function WeightDetail({
  weightId,
  officialIds,
}: {
  weightId: string;
  officialIds: OfficialIds;
}) {
  const { t, format, locale, trpc, teamId, router, queryClient } = useTeamPage();
  const { team, isSiteAdmin } = useTeam();
  const tDescriptions = useTranslations("weights.officialDescriptions");
  const weight = useQuery(trpc.weights.get.queryOptions({ teamId, weightId }));
  // Changes keep the user here with fresh data; deleting the weight leaves for the list.
  const refreshAfter = {
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [["weights"]] }),
  };
  const listAfter = { onSuccess: () => router.push(routes.weights(teamId)) };
  const setDefault = useMutation(trpc.weights.setDefault.mutationOptions(refreshAfter));
  const deprecate = useMutation(trpc.weights.deprecate.mutationOptions(refreshAfter));
  const remove = useMutation(trpc.weights.delete.mutationOptions(listAfter));
  const officialDefault = useMutation(
    trpc.weights.official.setDefault.mutationOptions(refreshAfter),
  );
  const officialDeprecate = useMutation(
    trpc.weights.official.deprecate.mutationOptions(refreshAfter),
  );
  const officialRemove = useMutation(trpc.weights.official.delete.mutationOptions(listAfter));

  if (weight.isPending || weight.error) return <QueryFallback query={weight} />;
  const w = weight.data;
  const description = weightDescription(w, officialIds, tDescriptions);
  const canManage = w.isOfficial ? isSiteAdmin : team?.role === "ADMIN";
  // Official weights are changed site-wide, the rest through their team: the same three changes
  // either way. The official procedures take no team and drop the teamId they are sent.
  const manage = w.isOfficial
    ? { setDefault: officialDefault, deprecate: officialDeprecate, remove: officialRemove }
    : { setDefault, deprecate, remove };
  const io = w.ioMetadata;
  const importReport = parseImportReport(w.validationReport.import);
  const detected = importReport ? detectedArchitecture(importReport) : null;
  const sourceFormatLabel = t(`weights.sourceFormats.${w.sourceFormat}`);
  const mutationError =
    setDefault.error ??
    deprecate.error ??
    remove.error ??
    officialDefault.error ??
    officialDeprecate.error ??
    officialRemove.error;

  return (
    <>
      <PageHeader
        title={w.name}
        description={`${t(`kinds.${w.taskKind}`)} · ${w.family} ${w.version}`}
        actions={
          <>
            <DownloadButton variant="outline" href={fileUrls.weight(teamId, w.id)}>
              {t("weights.download")}
            </DownloadButton>
            {canManage ? (
              <div className="flex flex-wrap gap-2" data-testid="weight-admin-controls">
                {!w.isDefault && w.status === "ready" ? (
                  <Button
                    variant="outline"
                    onClick={() => manage.setDefault.mutate({ teamId, weightId })}
                  >
                    <Star aria-hidden />
                    {t("weights.setDefault")}
                  </Button>
                ) : null}
                <Button
                  variant="outline"
                  onClick={() =>
                    manage.deprecate.mutate({ teamId, weightId, deprecated: !w.deprecatedAt })
                  }
                >
                  <Archive aria-hidden />
                  {w.deprecatedAt ? t("weights.undeprecate") : t("weights.deprecate")}
                </Button>
                <ConfirmButton
                  variant="destructive"
                  confirmation={t("weights.confirmDelete")}
                  onConfirm={() => manage.remove.mutate({ teamId, weightId })}
                >
                  <Trash2 aria-hidden />
                  {t("weights.delete")}
                </ConfirmButton>
              </div>
            ) : null}
          </>
        }
      />
      <DetailProblems
        mutationError={mutationError}
        recorded={w.validationError}
        recordedGeneral={t("weights.invalid")}
      />
      <div className="grid gap-4 lg:grid-cols-2">
        <TitledCard title={t("weights.details")}>
          <FactList>
            <Fact label={t("weights.status")} className="flex flex-wrap gap-1">
              <StatusBadge status={w.status} />
              {w.isOfficial ? <Badge tone="info">{t("weights.official")}</Badge> : null}
              {w.isDefault ? <Badge tone="success">{t("weights.default")}</Badge> : null}
              {w.deprecatedAt ? <Badge tone="warning">{t("status.deprecated")}</Badge> : null}
            </Fact>
            {description ? (
              <Fact label={t("weights.description")} testId="weight-description">
                {description}
              </Fact>
            ) : null}
            <Fact label={t("weights.sha256")} code testId="weight-sha256">
              {w.sha256}
            </Fact>
            <Fact label={t("weights.size")}>{formatBytes(w.sizeBytes, locale)}</Fact>
            <Fact label={t("weights.format")} testId="weight-source-format">
              {sourceFormatLabel}
            </Fact>
            {detected ? (
              <Fact label={t("weights.importReport.detected")} testId="weight-architecture">
                {detected.name}
              </Fact>
            ) : null}
            <Fact label={t("weights.opset")}>{io.opset ?? "—"}</Fact>
            <Fact label={t("weights.parameters")}>
              {io.parameterCount === null ? "—" : format.number(io.parameterCount)}
            </Fact>
            <Fact label={t("weights.uploadedBy")}>{w.uploadedBy?.name ?? "—"}</Fact>
            <Fact label={t("weights.uploadedAt")}>
              {format.dateTime(w.createdAt, { dateStyle: "medium", timeStyle: "short" })}
            </Fact>
          </FactList>
        </TitledCard>
        <TitledCard
          title={`${t("weights.inputs")} / ${t("weights.outputs")}`}
          contentClassName="grid gap-3"
        >
          <TensorTable tensors={io.inputs} />
          <TensorTable tensors={io.outputs} />
        </TitledCard>
        {hasInt8Mode(w.taskKind) ? <Int8Mode weight={w} canManage={canManage} /> : null}
        {importReport ? (
          <TitledCard
            className="min-w-0 lg:col-span-2"
            data-testid="weight-import-report"
            title={t("weights.importReport.title")}
          >
            <ImportReportDetails report={importReport} />
          </TitledCard>
        ) : null}
        <TitledCard className="min-w-0 lg:col-span-2" title={t("weights.validation")}>
          {/* The full record for those who need it, one click away: code, not words to translate. */}
          {w.status === "ready" ? <p className="mb-2 text-sm">{t("weights.valid")}</p> : null}
          <details>
            <summary className="cursor-pointer text-sm">{t("weights.validationRecord")}</summary>
            <pre
              className="mt-2 max-h-96 overflow-y-auto whitespace-pre-wrap break-all rounded-md bg-muted p-3 text-xs"
              translate="no"
            >
              {JSON.stringify(w.validationReport, null, 2)}
            </pre>
          </details>
        </TitledCard>
      </div>
    </>
  );
}
