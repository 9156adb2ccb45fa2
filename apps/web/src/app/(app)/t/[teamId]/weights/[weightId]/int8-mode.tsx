"use client";

import type { RouterOutputs } from "@studio/api";
import { INT8_TASK_KINDS } from "@studio/contracts/inference/int8";
import { INT8_GATE } from "@studio/core/quantize/report";
import { useMutation } from "@tanstack/react-query";
import { Gauge, Loader2 } from "lucide-react";
import { useFormatter, useTranslations } from "next-intl";
import type { ReactNode } from "react";
import { Fact, FactList } from "~/components/facts";
import { MutationFeedback } from "~/components/form";
import { RecordedProblem } from "~/components/recorded-problem";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { formatMs } from "~/lib/format";
import { useTeamPage } from "~/lib/use-team-page";

type Weight = RouterOutputs["weights"]["get"];
export type Int8Report = NonNullable<Weight["int8"]>;
/** What the page says about a weight's INT8 mode: the check's verdict, or that none ran yet. */
export type Int8Shown = Int8Report["state"] | "unchecked";

/** The kinds the INT8 check quantises (convolutional image-to-image nets). */
export function hasInt8Mode(taskKind: string): taskKind is (typeof INT8_TASK_KINDS)[number] {
  return (INT8_TASK_KINDS as readonly string[]).includes(taskKind);
}

const TONES = {
  offered: "success",
  refused: "danger",
  not_faster: "warning",
  unsupported: "neutral",
  unchecked: "neutral",
} as const;

// Operator names, instruction sets and figures are machine text: never translated.
const machine = (chunks: ReactNode) => <span translate="no">{chunks}</span>;

/** The measured figures in the page's language: quality against FP32, its gate, the speed-up. */
export function useInt8Figures() {
  const t = useTranslations("int8");
  const format = useFormatter();
  const decibels = (db: number) =>
    t("psnr", { db: format.number(db, { maximumFractionDigits: 1 }) });
  const share = (value: number) =>
    t("agreement", {
      share: format.number(value, { style: "percent", maximumFractionDigits: 2 }),
    });
  const times = (value: number) =>
    t("times", { value: format.number(value, { maximumFractionDigits: 2 }) });
  return {
    quality: (kind: string, report: Int8Report) => {
      if (kind === "segmentation" && report.maskAgreement !== undefined)
        return share(report.maskAgreement);
      if (report.psnrDb !== undefined) return decibels(report.psnrDb);
      return "—";
    },
    gate: (kind: string) =>
      kind === "segmentation" ? share(INT8_GATE.minMaskAgreement) : decibels(INT8_GATE.minPsnrDb),
    speedup: (report: Int8Report) => (report.speedup === undefined ? "—" : times(report.speedup)),
    minSpeedup: () => times(INT8_GATE.minSpeedup),
  };
}

/**
 * The weight page's "Fast CPU mode (INT8)" section: what the last INT8 check found (offered,
 * refused with the measured quality, not faster on this CPU, not supported) or that none ran,
 * with the figures and the gate, and for those who manage the weight the button that runs the
 * check (it quantises and measures in the inference service: tens of seconds).
 */
export function Int8Mode({ weight, canManage }: { weight: Weight; canManage: boolean }) {
  const { t, format, locale, trpc, teamId, queryClient } = useTeamPage();
  const figures = useInt8Figures();
  const check = useMutation(
    trpc.weights.checkInt8.mutationOptions({
      // The new report shows here and in every weight list (the new-task form offers it).
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: [["weights"]] }),
    }),
  );
  const report = weight.int8;
  const shown: Int8Shown = report?.state ?? "unchecked";
  const kind = weight.taskKind;
  const canCheck = canManage && weight.status === "ready";

  const summary = report
    ? t(`int8.summary.${report.state}`, {
        quality: figures.quality(kind, report),
        gate: figures.gate(kind),
        speedup: figures.speedup(report),
        minSpeedup: figures.minSpeedup(),
      })
    : t("int8.summary.unchecked");

  return (
    <TitledCard
      className="min-w-0 lg:col-span-2"
      data-testid="int8-mode"
      title={t("int8.title")}
      action={
        canCheck ? (
          <Button
            variant="outline"
            disabled={check.isPending}
            onClick={() => check.mutate({ teamId, weightId: weight.id })}
            data-testid="int8-check"
          >
            {check.isPending ? (
              <Loader2 className="animate-spin" aria-hidden />
            ) : (
              <Gauge aria-hidden />
            )}
            {check.isPending ? t("int8.checking") : report ? t("int8.checkAgain") : t("int8.check")}
          </Button>
        ) : null
      }
      contentClassName="grid gap-3"
    >
      <p className="flex flex-wrap items-baseline gap-2 text-sm">
        <Badge tone={TONES[shown]} data-testid="int8-state" data-state={shown}>
          {t(`int8.states.${shown}`)}
        </Badge>
        <span data-testid="int8-summary">{summary}</span>
      </p>
      {report?.state === "unsupported" ? (
        <p className="text-sm text-muted-foreground">
          <RecordedProblem text={report.reason} general={t("int8.unsupportedGeneral")} />
        </p>
      ) : null}
      {check.isPending ? (
        <Alert variant="info" className="flex items-center gap-2">
          <Loader2 className="size-4 shrink-0 animate-spin" aria-hidden />
          {t("int8.checkingHint")}
        </Alert>
      ) : null}
      <MutationFeedback error={check.error} />
      {report && report.state !== "unsupported" ? (
        <FactList data-testid="int8-figures">
          <Fact label={t("int8.quality")} testId="int8-quality">
            {figures.quality(kind, report)}
          </Fact>
          <Fact label={t("int8.gate")}>
            {t("int8.gateValue", { gate: figures.gate(kind), speedup: figures.minSpeedup() })}
          </Fact>
          <Fact label={t("int8.speedup")} testId="int8-speedup">
            {figures.speedup(report)}
          </Fact>
          <Fact label={t("int8.modelTime")}>
            {t("int8.modelTimeValue", {
              fp32: formatMs(report.fp32Ms, locale),
              int8: formatMs(report.int8Ms, locale),
            })}
          </Fact>
          {report.totalConvs !== undefined ? (
            <Fact label={t("int8.convs")}>
              {t("int8.convsValue", {
                quantized: format.number(report.quantizedConvs ?? 0),
                total: format.number(report.totalConvs),
              })}
            </Fact>
          ) : null}
          {report.vnni !== undefined ? (
            <Fact label={t.rich("int8.vnni", { name: machine })}>
              {report.vnni ? t("common.yes") : t("common.no")}
            </Fact>
          ) : null}
          <Fact label={t("int8.measuredAt")}>
            {format.dateTime(new Date(report.measuredAt), {
              dateStyle: "medium",
              timeStyle: "short",
            })}
          </Fact>
        </FactList>
      ) : null}
      {!report && !canManage ? (
        <p className="text-sm text-muted-foreground">
          {weight.isOfficial ? t("int8.siteAdminChecks") : t("int8.teamAdminChecks")}
        </p>
      ) : null}
    </TitledCard>
  );
}
