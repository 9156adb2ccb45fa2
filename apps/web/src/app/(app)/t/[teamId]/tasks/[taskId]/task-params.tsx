"use client";

import { OUTPUT_FORMAT_FILES } from "@studio/contracts/task";
import {
  ClassificationParams,
  resolveTuning,
  SegmentationParams,
  SuperResolutionParams,
  type TileSetting,
} from "@studio/core/spec";
import { useFormatter, useTranslations } from "next-intl";
import { Fact, FactList } from "~/components/facts";

interface TaskForParams {
  taskKind: string;
  params: Record<string, unknown>;
  paramSignature: string;
  weightSha256: string;
  weight: { name: string; family: string; version: string } | null;
}

/**
 * The settings a task ran with, in words: the model, the tile, the tuning preset and its values,
 * the threshold or top-k; the parameter signature under them as the exact, secondary record.
 * The stored params were validated at creation; they are parsed again here (filling defaults)
 * so a field an older task lacks reads as the value it ran with.
 */
export function TaskParams({ task }: { task: TaskForParams }) {
  const t = useTranslations();
  const format = useFormatter();
  const number = (value: number) => format.number(value, { maximumFractionDigits: 3 });
  const tile = (value: TileSetting) =>
    value === "auto"
      ? t("newTask.tileAuto")
      : value === "off"
        ? t("newTask.tileOff")
        : t("result.size", { width: value, height: value });

  const facts: [label: string, value: string, testId?: string][] = [];
  const w = task.weight;
  facts.push([
    t("tasks.model"),
    w ? `${w.family} ${w.version}` : t("tasks.weightGone", { sha: task.weightSha256.slice(0, 12) }),
    "param-model",
  ]);
  if (task.taskKind === "super_resolution") {
    const p = SuperResolutionParams.safeParse(task.params).data;
    if (p) {
      facts.push([t("newTask.tile"), tile(p.tile), "param-tile"]);
      if (p.overlap !== "auto") facts.push([t("tasks.overlap"), tile(p.overlap)]);
      const values = resolveTuning(p.tuning);
      facts.push([
        t("tasks.tuning"),
        values
          ? `${t(`newTask.presets.${p.tuning.preset}`)}: ${t("tasks.tuningValues", {
              sharpen: number(values.sharpen),
              contrast: number(values.contrast),
              brightness: number(values.brightness),
              saturation: number(values.saturation),
              gamma: number(values.gamma),
              denoise: values.denoise
                ? t("tasks.denoiseSize", { size: values.denoise })
                : t("tasks.denoiseOff"),
            })}`
          : t("tasks.tuningRaw"),
        "param-tuning",
      ]);
      const o = p.output;
      const lossy = OUTPUT_FORMAT_FILES[o.format].lossy;
      facts.push([
        t("newTask.output.format"),
        lossy
          ? t("newTask.output.formatQuality", {
              format: t(`newTask.output.formats.${o.format}`),
              quality: o.quality,
            })
          : t(`newTask.output.formats.${o.format}`),
        "param-output-format",
      ]);
      facts.push([
        t("newTask.output.size"),
        o.size.mode === "model"
          ? t("newTask.output.sizeModelUnknown")
          : o.size.mode === "scale"
            ? t("newTask.output.sizeScale", { scale: o.size.scale })
            : o.size.mode === "width"
              ? t("newTask.output.sizeWidthWords", { px: o.size.width })
              : t("newTask.output.sizeHeightWords", { px: o.size.height }),
        "param-output-size",
      ]);
      facts.push([
        t("newTask.output.color"),
        t(`newTask.output.colors.${o.color}`),
        "param-output-color",
      ]);
      if (o.format === "jpeg") facts.push([t("newTask.output.background"), o.background]);
    }
  } else if (task.taskKind === "segmentation") {
    const p = SegmentationParams.safeParse(task.params).data;
    if (p) {
      facts.push([t("newTask.threshold"), number(p.threshold), "param-threshold"]);
      facts.push([t("newTask.tile"), tile(p.tile), "param-tile"]);
    }
  } else if (task.taskKind === "classification") {
    const p = ClassificationParams.safeParse(task.params).data;
    if (p) {
      facts.push([t("newTask.topK"), String(p.topK), "param-topk"]);
      facts.push([
        t("tasks.scores"),
        p.applyActivation ? t("tasks.scoresProbability") : t("tasks.scoresLogits"),
      ]);
    }
  }

  return (
    <div className="grid gap-3">
      <FactList className="gap-x-3 gap-y-1">
        {facts.map(([label, value, testId]) => (
          <Fact key={label} label={label} testId={testId} className="min-w-0 break-words">
            {value}
          </Fact>
        ))}
      </FactList>
      <details className="text-xs text-muted-foreground">
        <summary className="cursor-pointer">{t("tasks.signature")}</summary>
        <p className="mt-1">{t("tasks.signatureHint")}</p>
        <code className="mt-1 block break-all" data-testid="task-signature">
          {task.paramSignature}
        </code>
      </details>
    </div>
  );
}
