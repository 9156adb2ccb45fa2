"use client";

import { useQuery } from "@tanstack/react-query";
import { ClassificationChart } from "~/components/classification-chart";
import { DownloadButton } from "~/components/link-buttons";
import { PageHeader } from "~/components/page-header";
import { QueryFallback } from "~/components/query-state";
import { SegmentationViewer } from "~/components/segmentation-viewer";
import { StatusBadge } from "~/components/status-badge";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card, CardContent } from "~/components/ui/card";
import { ZoomCompare } from "~/components/zoom-compare";
import { fileUrls } from "~/lib/file-urls";
import { formatBytes, formatMs, itemMs } from "~/lib/format";
import { useTeamPage } from "~/lib/use-team-page";
import { BackToTask } from "../../task-links";

export function ResultView({ taskId, itemId }: { taskId: string; itemId: string }) {
  const { t, locale, trpc, teamId } = useTeamPage();
  const task = useQuery(trpc.tasks.get.queryOptions({ teamId, taskId }));

  if (task.isPending || task.error) return <QueryFallback query={task} />;
  const item = task.data.items.find((i) => i.id === itemId);
  if (!item) return <Alert>{t("common.notFound")}</Alert>;
  const kind = task.data.taskKind;
  const meta = item.resultMeta ?? {};
  const original = fileUrls.rendition(teamId, item.image.id, "display");
  const result = fileUrls.result(teamId, taskId, itemId);
  const download = fileUrls.result(teamId, taskId, itemId, { inline: false });

  return (
    <>
      <PageHeader
        title={item.image.originalName}
        description={`${t(`kinds.${kind}`)} · ${task.data.weight?.name ?? ""}`}
        actions={
          <>
            <BackToTask teamId={teamId} taskId={taskId} />
            {item.hasResult ? (
              <DownloadButton href={download} testId="download-result">
                {kind === "classification" ? t("result.downloadJson") : t("result.downloadResult")}
              </DownloadButton>
            ) : null}
            <Button asChild variant="outline">
              <a href={fileUrls.image(teamId, item.image.id, false)} download>
                {t("result.downloadOriginal")}
              </a>
            </Button>
          </>
        }
      />
      <div className="grid gap-4">
        <Card>
          <CardContent className="flex flex-wrap items-center gap-x-6 gap-y-2 pt-5 text-sm">
            <StatusBadge status={item.status} />
            <span>
              {t("result.before")}:{" "}
              {t("result.size", { width: item.image.width, height: item.image.height })}
            </span>
            {meta.width && meta.height ? (
              <span data-testid="result-size">
                {t("result.after")}: {t("result.size", { width: meta.width, height: meta.height })}
              </span>
            ) : null}
            {item.resultBytes ? <span>{formatBytes(item.resultBytes, locale)}</span> : null}
            <span>
              {t("tasks.device")}: {item.device ?? "—"}
            </span>
            <span>
              {t("tasks.duration")}: {formatMs(itemMs(item.timings), locale)}
            </span>
          </CardContent>
        </Card>
        {item.error ? <Alert>{item.error}</Alert> : null}
        {item.hasResult ? (
          <TitledCard title={t("result.title")}>
            {kind === "super_resolution" ? (
              <ZoomCompare before={original} after={result} />
            ) : kind === "segmentation" ? (
              <SegmentationViewer
                originalUrl={original}
                width={item.image.width}
                height={item.image.height}
                maskUrl={result}
                probabilityUrl={
                  meta.probabilityPath
                    ? fileUrls.result(teamId, taskId, itemId, { variant: "probabilityPath" })
                    : null
                }
                initialThreshold={meta.threshold ?? 0.5}
                fileName={item.image.originalName}
              />
            ) : (
              <ClassificationChart
                scores={meta.top ?? []}
                labelHeading={t("result.label")}
                scoreHeading={t("result.score")}
              />
            )}
          </TitledCard>
        ) : null}
        <p className="break-all text-xs text-muted-foreground">
          {t("tasks.signature")}: <code>{item.paramSignature ?? task.data.paramSignature}</code>
        </p>
      </div>
    </>
  );
}
