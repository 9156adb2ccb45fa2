"use client";

import { useQuery } from "@tanstack/react-query";
import { ChevronLeft, ChevronRight } from "lucide-react";
import Link from "next/link";
import type * as React from "react";
import { useEffect } from "react";
import { ClassificationResult } from "~/components/classification-result";
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
import { isShortcutEvent } from "~/lib/keyboard";
import { routes } from "~/lib/routes";
import { useTeamPage } from "~/lib/use-team-page";
import { BackToTask } from "../../task-links";

export function ResultView({ taskId, itemId }: { taskId: string; itemId: string }) {
  const { t, locale, trpc, teamId, router } = useTeamPage();
  const task = useQuery(trpc.tasks.get.queryOptions({ teamId, taskId }));

  // Previous / next among the task's results (in the task's order), also on the arrow keys.
  const withResult = task.data?.items.filter((i) => i.hasResult) ?? [];
  const at = withResult.findIndex((i) => i.id === itemId);
  const previous = at > 0 ? withResult[at - 1] : undefined;
  const next = at >= 0 ? withResult[at + 1] : undefined;
  const previousHref = previous ? routes.taskItem(teamId, taskId, previous.id) : null;
  const nextHref = next ? routes.taskItem(teamId, taskId, next.id) : null;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!isShortcutEvent(event)) return;
      const href =
        event.key === "ArrowLeft" ? previousHref : event.key === "ArrowRight" ? nextHref : null;
      if (!href) return;
      event.preventDefault();
      router.push(href);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [previousHref, nextHref, router]);

  if (task.isPending || task.error) return <QueryFallback query={task} />;
  const item = task.data.items.find((i) => i.id === itemId);
  if (!item) return <Alert>{t("common.notFound")}</Alert>;
  const kind = task.data.taskKind;
  const meta = item.resultMeta ?? {};
  const original = fileUrls.rendition(teamId, item.image.id, "display");
  // Browsers do not display TIFF: a TIFF result (an output format of its task) is shown through
  // its display rendition; every other result in full, for zooming.
  const result =
    meta.format === "tiff"
      ? fileUrls.resultRendition(teamId, taskId, itemId, "display")
      : fileUrls.result(teamId, taskId, itemId);
  const download = fileUrls.result(teamId, taskId, itemId, { inline: false });

  return (
    <>
      <PageHeader
        title={item.image.originalName}
        description={`${t(`kinds.${kind}`)} · ${task.data.weight?.name ?? ""}`}
        actions={
          <>
            <BackToTask teamId={teamId} taskId={taskId} />
            {withResult.length > 1 ? (
              <nav aria-label={t("result.browse")} className="flex items-center gap-2">
                <NeighbourLink
                  href={previousHref}
                  label={t("result.previous")}
                  testId="previous-result"
                >
                  <ChevronLeft aria-hidden />
                </NeighbourLink>
                <span
                  className="text-sm tabular-nums text-muted-foreground"
                  data-testid="result-position"
                >
                  {t("result.position", { index: at + 1, count: withResult.length })}
                </span>
                <NeighbourLink href={nextHref} label={t("result.next")} testId="next-result">
                  <ChevronRight aria-hidden />
                </NeighbourLink>
              </nav>
            ) : null}
            {/* Segmentation downloads its mask beside the threshold slider: what is shown. */}
            {item.hasResult && kind !== "segmentation" ? (
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
              // Keyed by the item: the next image starts fitted, with its own state.
              <ZoomCompare
                key={itemId}
                before={original}
                after={result}
                width={meta.width ?? item.image.width}
                height={meta.height ?? item.image.height}
              />
            ) : kind === "segmentation" ? (
              <SegmentationViewer
                key={itemId}
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
                maskDownloadUrl={download}
                fileName={item.image.originalName}
              />
            ) : (
              <ClassificationResult
                imageUrl={original}
                imageAlt={item.image.originalName}
                width={item.image.width}
                height={item.image.height}
                scores={meta.top ?? []}
                scoreKind={meta.scoreKind ?? null}
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

/** A previous / next button; without a neighbour it stays in place, disabled. */
function NeighbourLink({
  href,
  label,
  testId,
  children,
}: {
  href: string | null;
  label: string;
  testId: string;
  children: React.ReactNode;
}) {
  if (!href)
    return (
      <Button variant="outline" size="icon" disabled aria-label={label} data-testid={testId}>
        {children}
      </Button>
    );
  return (
    <Button asChild variant="outline" size="icon">
      <Link href={href} aria-label={label} data-testid={testId}>
        {children}
      </Link>
    </Button>
  );
}
