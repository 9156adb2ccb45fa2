"use client";

import { ArrowLeft, Download } from "lucide-react";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { Button, type ButtonProps } from "~/components/ui/button";
import { fileUrls } from "~/lib/file-urls";
import { routes } from "~/lib/routes";

/** Back to the task's page, from its report or one of its results. */
export function BackToTask({ teamId, taskId }: { teamId: string; taskId: string }) {
  const t = useTranslations("common");
  return (
    <Button asChild variant="outline">
      <Link href={routes.task(teamId, taskId)}>
        <ArrowLeft aria-hidden />
        {t("back")}
      </Link>
    </Button>
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
    <Button asChild variant={variant}>
      <a href={fileUrls.taskZip(teamId, taskId)} download data-testid="download-zip">
        <Download aria-hidden />
        {t("downloadAll")}
      </a>
    </Button>
  );
}
