"use client";

import { useTranslations } from "next-intl";
import { Badge } from "~/components/ui/badge";

const tones = {
  queued: "neutral",
  running: "info",
  succeeded: "success",
  partially_failed: "warning",
  failed: "danger",
  canceled: "neutral",
  validating: "info",
  ready: "success",
  invalid: "danger",
  deprecated: "warning",
} as const;

export function StatusBadge({ status }: { status: string }) {
  const t = useTranslations("status");
  const tone = tones[status as keyof typeof tones] ?? "neutral";
  return (
    <Badge tone={tone} data-status={status}>
      {t.has(status) ? t(status) : status}
    </Badge>
  );
}
