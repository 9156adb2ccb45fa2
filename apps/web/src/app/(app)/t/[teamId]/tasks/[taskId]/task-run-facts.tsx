"use client";

import { useFormatter, useTranslations } from "next-intl";
import type * as React from "react";
import { Fact } from "~/components/facts";

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
      <Fact label={t("device")} testId="task-device">
        {task.device ?? "—"}
      </Fact>
      <Fact label={t("created")}>{date(task.createdAt)}</Fact>
      <Fact label={t("started")}>{date(task.startedAt)}</Fact>
      <Fact label={t("finished")}>{date(task.finishedAt)}</Fact>
      <Fact label={t("duration")}>{duration}</Fact>
    </>
  );
}
