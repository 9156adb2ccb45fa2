"use client";

import { ArrowLeft } from "lucide-react";
import { useTranslations } from "next-intl";
import { DownloadButton, LinkButton } from "~/components/link-buttons";
import type { ButtonProps } from "~/components/ui/button";
import { fileUrls } from "~/lib/file-urls";
import { routes } from "~/lib/routes";

/** Back to the task's page, from its report or one of its results. */
export function BackToTask({ teamId, taskId }: { teamId: string; taskId: string }) {
  const t = useTranslations("common");
  return (
    <LinkButton variant="outline" href={routes.task(teamId, taskId)}>
      <ArrowLeft aria-hidden />
      {t("back")}
    </LinkButton>
  );
}

/** Downloads every result of the task as one zip. */
export function DownloadAllResults({
  teamId,
  taskId,
  variant,
}: {
  teamId: string;
  taskId: string;
  variant?: ButtonProps["variant"];
}) {
  const t = useTranslations("tasks");
  return (
    <DownloadButton variant={variant} href={fileUrls.taskZip(teamId, taskId)} testId="download-zip">
      {t("downloadAll")}
    </DownloadButton>
  );
}
