"use client";

import {
  OUTPUT_FORMAT_FILES,
  OUTPUT_FORMATS,
  type OutputFormat,
  type OutputSettings,
} from "@studio/contracts/task";
import { useTranslations } from "next-intl";
import { TextField } from "~/components/form";
import { SelectField } from "~/components/select-field";
import { SliderField } from "~/components/slider-field";
import { smallerScales } from "./params";

type SizeChoice = "model" | `x${number}` | "width" | "height";

function sizeChoice(size: OutputSettings["size"]): SizeChoice {
  if (size.mode === "scale") return `x${size.scale}`;
  return size.mode;
}

/**
 * The result file of a super-resolution task: format (quality for the lossy ones, a background
 * for JPEG, which has no transparency), size after the model, and the colour profile.
 */
export function OutputControls({
  output,
  modelScale,
  onChange,
}: {
  output: OutputSettings;
  /** The weight's scale, when known (the sizes offered are never larger). */
  modelScale: number | null;
  onChange: (next: OutputSettings) => void;
}) {
  const t = useTranslations("newTask.output");
  const set = (patch: Partial<OutputSettings>) => onChange({ ...output, ...patch });
  const file = OUTPUT_FORMAT_FILES[output.format];
  const choice = sizeChoice(output.size);
  const pixels =
    output.size.mode === "width"
      ? output.size.width
      : output.size.mode === "height"
        ? output.size.height
        : null;
  return (
    <fieldset className="grid gap-3 rounded-md border p-3" data-testid="output-controls">
      <legend className="px-1 text-sm font-medium">{t("heading")}</legend>
      <SelectField<OutputFormat>
        id="output-format"
        label={t("format")}
        testId="output-format-select"
        value={output.format}
        onValueChange={(format) => set({ format })}
        options={OUTPUT_FORMATS.map((f) => ({ value: f, label: t(`formats.${f}`) }))}
        hint={file.alpha ? t(file.depth16 ? "keeps16" : "keeps8") : t("noAlpha")}
      />
      {file.lossy ? (
        <SliderField
          id="output-quality"
          label={t("quality")}
          value={output.quality}
          min={1}
          max={100}
          step={1}
          digits={0}
          readoutTestId="output-quality-value"
          hint={t("qualityHint")}
          onValueChange={(v) => set({ quality: Math.max(1, Math.min(100, Math.round(v))) })}
        />
      ) : null}
      {output.format === "jpeg" ? (
        <div className="grid gap-1">
          <label htmlFor="output-background" className="text-sm font-medium">
            {t("background")}
          </label>
          <input
            id="output-background"
            type="color"
            className="h-9 w-16 cursor-pointer rounded border"
            value={output.background}
            onChange={(event) => set({ background: event.target.value })}
          />
          <p className="text-xs text-muted-foreground">{t("backgroundHint")}</p>
        </div>
      ) : null}
      <SelectField<SizeChoice>
        id="output-size"
        label={t("size")}
        testId="output-size-select"
        value={choice}
        onValueChange={(next) => {
          if (next === "model") set({ size: { mode: "model" } });
          else if (next === "width") set({ size: { mode: "width", width: pixels ?? 1920 } });
          else if (next === "height") set({ size: { mode: "height", height: pixels ?? 1080 } });
          else set({ size: { mode: "scale", scale: Number(next.slice(1)) } });
        }}
        options={[
          {
            value: "model",
            label: modelScale ? t("sizeModel", { scale: modelScale }) : t("sizeModelUnknown"),
          },
          ...smallerScales(modelScale ?? 0).map((s) => ({
            value: `x${s}` as SizeChoice,
            label: t("sizeScale", { scale: s }),
          })),
          { value: "width", label: t("sizeWidth") },
          { value: "height", label: t("sizeHeight") },
        ]}
        hint={t("sizeHint")}
      />
      {output.size.mode === "width" || output.size.mode === "height" ? (
        <TextField
          id="output-pixels"
          label={t("pixels")}
          type="number"
          min={1}
          max={65535}
          value={pixels ?? ""}
          data-testid="output-pixels-input"
          onChange={(event) => {
            const n = Math.max(1, Math.min(65535, Math.round(Number(event.target.value) || 1)));
            set({
              size:
                output.size.mode === "width"
                  ? { mode: "width", width: n }
                  : { mode: "height", height: n },
            });
          }}
        />
      ) : null}
      <SelectField<OutputSettings["color"]>
        id="output-color"
        label={t("color")}
        testId="output-color-select"
        value={output.color}
        onValueChange={(color) => set({ color })}
        options={(["keep", "srgb"] as const).map((c) => ({ value: c, label: t(`colors.${c}`) }))}
        hint={t("colorHint")}
      />
    </fieldset>
  );
}
