"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Archive, Download, Star, Trash2 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { DataTableHeader } from "~/components/data-table-header";
import { PageHeader } from "~/components/page-header";
import { ErrorState, Loading } from "~/components/query-state";
import { StatusBadge } from "~/components/status-badge";
import { useTeam, useTeamId } from "~/components/team-context";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "~/components/ui/card";
import { Table, TD, TR } from "~/components/ui/table";
import { errorMessage } from "~/lib/errors";
import { fileUrls } from "~/lib/file-urls";
import { formatBytes } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { ImportReportDetails, parseImportReport } from "../import-report";

type Kind = "segmentation" | "super_resolution" | "classification";
type SourceFormat = "onnx" | "ncnn" | "pytorch" | "safetensors";
const SOURCE_FORMATS = new Set<string>(["onnx", "ncnn", "pytorch", "safetensors"]);
interface TensorInfo {
  name?: string;
  type?: string;
  dtype?: string;
  shape?: Array<number | string | null>;
  dims?: Array<number | string | null>;
}

function TensorTable({ tensors }: { tensors: TensorInfo[] }) {
  const t = useTranslations("weights");
  return (
    <Table>
      <DataTableHeader columns={[t("tensor"), t("type"), t("shape")]} />
      <tbody>
        {tensors.map((tensor, i) => (
          <TR key={tensor.name ?? i}>
            <TD className="font-mono text-xs">{tensor.name ?? "—"}</TD>
            <TD className="font-mono text-xs">{tensor.type ?? tensor.dtype ?? "—"}</TD>
            <TD className="font-mono text-xs">
              [
              {(tensor.shape ?? tensor.dims ?? [])
                .map((d) => (d === null ? "?" : String(d)))
                .join(", ")}
              ]
            </TD>
          </TR>
        ))}
      </tbody>
    </Table>
  );
}

export function WeightDetail({ weightId }: { weightId: string }) {
  const t = useTranslations();
  const format = useFormatter();
  const locale = useLocale();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const { team, isSiteAdmin } = useTeam();
  const router = useRouter();
  const queryClient = useQueryClient();
  const weight = useQuery(trpc.weights.get.queryOptions({ teamId, weightId }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: [["weights"]] });
  const setDefault = useMutation(
    trpc.weights.setDefault.mutationOptions({ onSuccess: () => void refresh() }),
  );
  const deprecate = useMutation(
    trpc.weights.deprecate.mutationOptions({ onSuccess: () => void refresh() }),
  );
  const remove = useMutation(
    trpc.weights.delete.mutationOptions({ onSuccess: () => router.push("/weights") }),
  );
  const officialDefault = useMutation(
    trpc.weights.official.setDefault.mutationOptions({ onSuccess: () => void refresh() }),
  );
  const officialDeprecate = useMutation(
    trpc.weights.official.deprecate.mutationOptions({ onSuccess: () => void refresh() }),
  );
  const officialRemove = useMutation(
    trpc.weights.official.delete.mutationOptions({ onSuccess: () => router.push("/weights") }),
  );

  if (weight.isPending) return <Loading />;
  if (weight.error)
    return <ErrorState error={weight.error} onRetry={() => void weight.refetch()} />;
  const w = weight.data;
  const canManage = w.isOfficial ? isSiteAdmin : team?.role === "ADMIN";
  const io = w.ioMetadata as {
    inputs?: TensorInfo[];
    outputs?: TensorInfo[];
    opset?: number | null;
    parameterCount?: number | null;
  };
  const importReport = parseImportReport(
    (w.validationReport as { import?: unknown } | null)?.import,
  );
  const sourceFormatLabel = SOURCE_FORMATS.has(w.sourceFormat)
    ? t(`weights.sourceFormats.${w.sourceFormat as SourceFormat}`)
    : w.sourceFormat;
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
        description={`${t(`kinds.${w.taskKind as Kind}`)} · ${w.family} ${w.version}`}
        actions={
          <>
            <Button asChild variant="outline">
              <a href={fileUrls.weight(teamId, w.id)} download>
                <Download aria-hidden />
                {t("weights.download")}
              </a>
            </Button>
            {canManage ? (
              <div className="flex flex-wrap gap-2" data-testid="weight-admin-controls">
                {!w.isDefault && w.status === "ready" ? (
                  <Button
                    variant="outline"
                    onClick={() =>
                      w.isOfficial
                        ? officialDefault.mutate({ weightId })
                        : setDefault.mutate({ teamId, weightId })
                    }
                  >
                    <Star aria-hidden />
                    {t("weights.setDefault")}
                  </Button>
                ) : null}
                <Button
                  variant="outline"
                  onClick={() =>
                    w.isOfficial
                      ? officialDeprecate.mutate({ weightId, deprecated: !w.deprecatedAt })
                      : deprecate.mutate({ teamId, weightId, deprecated: !w.deprecatedAt })
                  }
                >
                  <Archive aria-hidden />
                  {w.deprecatedAt ? t("weights.undeprecate") : t("weights.deprecate")}
                </Button>
                <Button
                  variant="destructive"
                  onClick={() => {
                    if (!window.confirm(t("weights.confirmDelete"))) return;
                    if (w.isOfficial) officialRemove.mutate({ weightId });
                    else remove.mutate({ teamId, weightId });
                  }}
                >
                  <Trash2 aria-hidden />
                  {t("weights.delete")}
                </Button>
              </div>
            ) : null}
          </>
        }
      />
      {mutationError ? (
        <Alert className="mb-4">{errorMessage(mutationError, (k) => t(`common.${k}`))}</Alert>
      ) : null}
      {w.validationError ? <Alert className="mb-4">{w.validationError}</Alert> : null}
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>{t("weights.details")}</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
              <dt className="text-muted-foreground">{t("weights.status")}</dt>
              <dd className="flex flex-wrap gap-1">
                <StatusBadge status={w.status} />
                {w.isOfficial ? <Badge tone="info">{t("weights.official")}</Badge> : null}
                {w.isDefault ? <Badge tone="success">{t("weights.default")}</Badge> : null}
                {w.deprecatedAt ? <Badge tone="warning">{t("status.deprecated")}</Badge> : null}
              </dd>
              <dt className="text-muted-foreground">{t("weights.sha256")}</dt>
              <dd className="break-all font-mono text-xs" data-testid="weight-sha256">
                {w.sha256}
              </dd>
              <dt className="text-muted-foreground">{t("weights.size")}</dt>
              <dd>{formatBytes(w.sizeBytes, locale)}</dd>
              <dt className="text-muted-foreground">{t("weights.format")}</dt>
              <dd data-testid="weight-source-format">{sourceFormatLabel}</dd>
              <dt className="text-muted-foreground">{t("weights.opset")}</dt>
              <dd>{io.opset ?? "—"}</dd>
              <dt className="text-muted-foreground">{t("weights.parameters")}</dt>
              <dd>
                {typeof io.parameterCount === "number" ? format.number(io.parameterCount) : "—"}
              </dd>
              <dt className="text-muted-foreground">{t("weights.uploadedBy")}</dt>
              <dd>{w.uploadedBy?.name ?? "—"}</dd>
              <dt className="text-muted-foreground">{t("weights.uploadedAt")}</dt>
              <dd>{format.dateTime(w.createdAt, { dateStyle: "medium", timeStyle: "short" })}</dd>
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>
              {t("weights.inputs")} / {t("weights.outputs")}
            </CardTitle>
          </CardHeader>
          <CardContent className="grid gap-3">
            <TensorTable tensors={io.inputs ?? []} />
            <TensorTable tensors={io.outputs ?? []} />
          </CardContent>
        </Card>
        {importReport ? (
          <Card className="min-w-0 lg:col-span-2" data-testid="weight-import-report">
            <CardHeader>
              <CardTitle>{t("weights.importReport.title")}</CardTitle>
            </CardHeader>
            <CardContent>
              <ImportReportDetails report={importReport} />
            </CardContent>
          </Card>
        ) : null}
        <Card className="min-w-0 lg:col-span-2">
          <CardHeader>
            <CardTitle>{t("weights.validation")}</CardTitle>
          </CardHeader>
          <CardContent>
            <pre className="max-h-96 overflow-auto rounded-md bg-muted p-3 text-xs">
              {JSON.stringify(w.validationReport, null, 2)}
            </pre>
          </CardContent>
        </Card>
      </div>
    </>
  );
}
