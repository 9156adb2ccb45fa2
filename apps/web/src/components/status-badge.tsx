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

/** Task, item and weight states, each with its own words and colour. */
export function StatusBadge({ status }: { status: keyof typeof tones }) {
  const t = useTranslations("status");
  return (
    <Badge tone={tones[status]} data-status={status}>
      {t(status)}
    </Badge>
  );
}
