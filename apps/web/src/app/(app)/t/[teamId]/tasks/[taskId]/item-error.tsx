"use client";

import { useTranslations } from "next-intl";
import { RecordedProblem } from "~/components/recorded-problem";

/** Why one image of a task failed, in small type under its name; nothing when it did not. */
export function ItemError({ error }: { error: string | null | undefined }) {
  const t = useTranslations("tasks");
  return error ? (
    <span className="block text-xs text-destructive">
      <RecordedProblem text={error} general={t("itemFailed")} />
    </span>
  ) : null;
}
