"use client";

import { FILE_ROUTE_PATHS } from "@studio/api/http/file-routes";
import { Download } from "lucide-react";
import { useLocale, useTimeZone, useTranslations } from "next-intl";
import { DownloadButton } from "~/components/link-buttons";
import { Button } from "~/components/ui/button";
import { isFinalTaskStatus } from "~/lib/polling";

/**
 * Downloads the report as a PDF the server makes (`<task name>.pdf`), in the page's language and
 * time zone. A task still queued or running has no report yet: the button says when it will.
 */
export function ExportPdfButton({
  teamId,
  taskId,
  status,
}: {
  teamId: string;
  taskId: string;
  status: string;
}) {
  const t = useTranslations("report");
  const locale = useLocale();
  const timeZone = useTimeZone() ?? "UTC";
  if (!isFinalTaskStatus(status)) {
    return (
      <Button variant="outline" disabled title={t("pdfWhenFinished")} data-testid="export-pdf">
        <Download aria-hidden />
        {t("exportPdf")}
      </Button>
    );
  }
  const query = new URLSearchParams({ teamId, id: taskId, locale, timeZone });
  return (
    <DownloadButton
      variant="outline"
      href={`${FILE_ROUTE_PATHS.reportPdf}?${query}`}
      testId="export-pdf"
    >
      {t("exportPdf")}
    </DownloadButton>
  );
}
