"use client";

import type { RouterOutputs } from "@studio/api";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { fileUrls } from "~/lib/file-urls";
import { routes } from "~/lib/routes";

type Task = RouterOutputs["tasks"]["get"];
type Item = Task["items"][number];

/**
 * The task's results at a glance: before and after thumbnails of each image that has a result,
 * with its sizes (super-resolution), mask coverage (segmentation) or top label
 * (classification); each opens the result viewer.
 */
export function ResultGallery({ teamId, task }: { teamId: string; task: Task }) {
  const items = task.items.filter((i) => i.hasResult);
  if (items.length === 0) return null;
  return (
    <ul
      data-testid="result-gallery"
      className="grid grid-cols-1 gap-3 min-[420px]:grid-cols-2 lg:grid-cols-3"
    >
      {items.map((item) => (
        <li key={item.id}>
          <GalleryCard teamId={teamId} task={task} item={item} />
        </li>
      ))}
    </ul>
  );
}

function GalleryCard({ teamId, task, item }: { teamId: string; task: Task; item: Item }) {
  const t = useTranslations();
  const format = useFormatter();
  const meta = item.resultMeta ?? {};
  const before = fileUrls.rendition(teamId, item.image.id, "thumb");
  const after =
    task.taskKind === "classification"
      ? null
      : fileUrls.resultRendition(
          teamId,
          task.id,
          item.id,
          "thumb",
          meta.overlayPath ? "overlayPath" : undefined,
        );
  const percent = (v: number) =>
    format.number(v, { style: "percent", maximumFractionDigits: v < 0.1 ? 1 : 0 });
  const size = (w: number, h: number) => t("result.size", { width: w, height: h });
  const top = [...(meta.top ?? [])].sort((a, b) => b.score - a.score)[0];
  const coverage = meta.foregroundFraction ?? null;
  const detail =
    task.taskKind === "super_resolution"
      ? `${size(item.image.width, item.image.height)} → ${
          meta.width && meta.height ? size(meta.width, meta.height) : "—"
        }`
      : task.taskKind === "segmentation"
        ? coverage !== null
          ? t("tasks.coverage", { percent: percent(coverage) })
          : size(item.image.width, item.image.height)
        : top
          ? `${top.label} · ${
              meta.scoreKind === "logits"
                ? format.number(top.score, { maximumFractionDigits: 3 })
                : percent(top.score)
            }`
          : "—";
  // Two thumbnails side by side are squares; a classified image alone is shown wider.
  const shape = after ? "aspect-square" : "aspect-[2/1]";
  const thumb = (src: string, alt: string) => (
    // biome-ignore lint/performance/noImgElement: authorised route handler, no optimisation wanted
    <img
      src={src}
      alt={alt}
      loading="lazy"
      className={`checkerboard ${shape} w-full rounded border border-border object-contain`}
    />
  );
  return (
    <Link
      href={routes.taskItem(teamId, task.id, item.id)}
      data-testid="gallery-result"
      className="grid gap-2 rounded-md border border-border p-2 transition-colors hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
    >
      <div className={after ? "grid grid-cols-2 gap-1" : "grid"}>
        {thumb(before, t("result.before"))}
        {after ? thumb(after, t("result.after")) : null}
      </div>
      <div className="min-w-0 text-sm">
        <p className="truncate font-medium" title={item.image.originalName}>
          {item.image.originalName}
        </p>
        <p className="truncate text-muted-foreground" data-testid="gallery-detail">
          {detail}
        </p>
      </div>
    </Link>
  );
}
