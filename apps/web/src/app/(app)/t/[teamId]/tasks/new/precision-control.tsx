"use client";

import type { RouterOutputs } from "@studio/api";
import type { Precision } from "@studio/core/spec";
import { useTranslations } from "next-intl";
import type { ReactNode } from "react";
import { TextLink } from "~/components/text-link";
import { routes } from "~/lib/routes";
import { cn } from "~/lib/utils";
import { useInt8Figures } from "../../weights/[weightId]/int8-mode";

type ListedWeight = RouterOutputs["weights"]["list"][number];

const PRECISIONS: readonly Precision[] = ["fp32", "int8"];

/**
 * Standard (FP32) or the fast CPU mode (INT8) for super-resolution and segmentation. INT8 can be
 * chosen only when the weight's INT8 check offered it; otherwise the hint says why, with a link
 * to the weight's page where an admin runs the check.
 */
export function PrecisionControl({
  teamId,
  kind,
  weight,
  value,
  onChange,
}: {
  teamId: string;
  kind: "super_resolution" | "segmentation";
  weight: ListedWeight | undefined;
  value: Precision;
  onChange: (next: Precision) => void;
}) {
  const t = useTranslations("int8");
  const figures = useInt8Figures();
  const report = weight?.int8 ?? null;
  const offered = report?.state === "offered";
  const link = (chunks: ReactNode) =>
    weight ? <TextLink href={routes.weight(teamId, weight.id)}>{chunks}</TextLink> : chunks;

  let hint: ReactNode = null;
  if (weight && report === null) hint = t.rich("hint.unchecked", { link });
  else if (report)
    hint = t.rich(`hint.${report.state}`, {
      link,
      quality: figures.quality(kind, report),
      gate: figures.gate(kind),
      speedup: figures.speedup(report),
    });

  return (
    <fieldset className="mt-4 grid gap-2" data-testid="precision">
      <legend className="mb-2 text-sm font-medium leading-none">{t("precision")}</legend>
      <div className="flex flex-wrap gap-x-5 gap-y-2">
        {PRECISIONS.map((precision) => {
          const disabled = precision === "int8" && !offered;
          return (
            <label
              key={precision}
              className={cn(
                "flex items-center gap-2 text-sm",
                disabled ? "cursor-not-allowed opacity-60" : "cursor-pointer",
              )}
            >
              <input
                type="radio"
                name="precision"
                value={precision}
                className="size-4 accent-[var(--color-primary)]"
                checked={value === precision}
                disabled={disabled}
                onChange={() => onChange(precision)}
                data-testid={`precision-${precision}`}
              />
              {t(precision)}
            </label>
          );
        })}
      </div>
      {hint ? (
        <p className="text-xs text-muted-foreground" data-testid="precision-hint">
          {hint}
        </p>
      ) : null}
    </fieldset>
  );
}
