"use client";

import { useFormatter, useTranslations } from "next-intl";
import type * as React from "react";

/** Where and when a task ran, as term and description pairs inside the caller's `<dl>`. */
export function TaskRunFacts({
  task,
  duration,
}: {
  task: { device: string | null; createdAt: Date; startedAt: Date | null; finishedAt: Date | null };
  duration: React.ReactNode;
}) {
  const t = useTranslations("tasks");
  const format = useFormatter();
  const date = (d: Date | null) =>
    d ? format.dateTime(d, { dateStyle: "medium", timeStyle: "medium" }) : "—";
  return (
    <>
      <dt className="text-muted-foreground">{t("device")}</dt>
      <dd data-testid="task-device">{task.device ?? "—"}</dd>
      <dt className="text-muted-foreground">{t("created")}</dt>
      <dd>{date(task.createdAt)}</dd>
      <dt className="text-muted-foreground">{t("started")}</dt>
      <dd>{date(task.startedAt)}</dd>
      <dt className="text-muted-foreground">{t("finished")}</dt>
      <dd>{date(task.finishedAt)}</dd>
      <dt className="text-muted-foreground">{t("duration")}</dt>
      <dd>{duration}</dd>
    </>
  );
}
