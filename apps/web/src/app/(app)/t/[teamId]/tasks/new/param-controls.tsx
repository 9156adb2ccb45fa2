"use client";

import type { TaskKind } from "@studio/contracts/task";
import { TUNING_PRESETS, type TuningPresetName, type TuningValues } from "@studio/core/spec";
import { useTranslations } from "next-intl";
import { SelectField } from "~/components/select-field";
import { SliderField } from "~/components/slider-field";
import { Button } from "~/components/ui/button";
import { Label } from "~/components/ui/label";
import { Switch } from "~/components/ui/switch";
import { OutputControls } from "./output-controls";
import { type FormParams, isCustomTuning, type Tile, tileMemoryMB, tuningValues } from "./params";

const PRESETS = Object.keys(TUNING_PRESETS) as TuningPresetName[];
const TILES = ["auto", "off", 64, 96, 128, 192, 256, 384, 512, 768, 1024] as const;
const DENOISE_SIZES: readonly TuningValues["denoise"][] = [0, 3, 5, 7];
const SLIDERS: Array<{
  key: Exclude<keyof TuningValues, "denoise">;
  min: number;
  max: number;
  step: number;
}> = [
  { key: "sharpen", min: 0, max: 3, step: 0.1 },
  { key: "contrast", min: 0.5, max: 2, step: 0.05 },
  { key: "brightness", min: 0.5, max: 2, step: 0.05 },
  { key: "saturation", min: 0, max: 2, step: 0.05 },
  { key: "gamma", min: 0.5, max: 2, step: 0.05 },
];

// Not a preset: what the select reads once a slider moved a value away from the preset.
const CUSTOM = "custom" as const;

export function ParamControls({
  kind,
  form,
  onChange,
  topKMax,
  modelScale = null,
}: {
  kind: TaskKind;
  form: FormParams;
  onChange: (next: FormParams) => void;
  /** The weight's label count (Top-k cannot ask for more labels than there are). */
  topKMax: number;
  /** Super-resolution: the weight's scale (output sizes are never larger). */
  modelScale?: number | null;
}) {
  const t = useTranslations("newTask");
  const ts = useTranslations("scores");
  const set = (patch: Partial<FormParams>) => onChange({ ...form, ...patch });

  const tileSelect = (
    <SelectField
      id="tile"
      label={t("tile")}
      value={String(form.tile)}
      onValueChange={(v) => set({ tile: (v === "auto" || v === "off" ? v : Number(v)) as Tile })}
      options={TILES.map((tile) => ({
        value: String(tile),
        label:
          tile === "auto"
            ? t("tileAuto")
            : tile === "off"
              ? t("tileOff")
              : tile === 192
                ? t("tileSeed", { tile })
                : `${tile} px`,
      }))}
      hint={
        kind === "super_resolution" && typeof form.tile === "number"
          ? t("tileHint", { tile: form.tile, mb: tileMemoryMB(form.tile) })
          : null
      }
    />
  );

  if (kind === "classification") {
    return (
      <SliderField
        id="topk"
        label={t("topK")}
        value={Math.min(form.topK, topKMax)}
        min={1}
        max={topKMax}
        step={1}
        digits={0}
        readoutTestId="topk-value"
        hint={t("topKHint", { max: topKMax })}
        onValueChange={(v) => set({ topK: Math.max(1, Math.min(topKMax, Math.round(v))) })}
      />
    );
  }

  if (kind === "segmentation") {
    return (
      <div className="grid gap-4">
        <SliderField
          id="threshold"
          label={t("threshold")}
          value={form.threshold}
          min={0.01}
          max={0.99}
          step={0.01}
          onValueChange={(v) => set({ threshold: v })}
        />
        {tileSelect}
      </div>
    );
  }

  const raw = form.preset === "raw";
  const values = tuningValues(form);
  const custom = isCustomTuning(form);
  return (
    <div className="grid gap-4">
      <SelectField<TuningPresetName | typeof CUSTOM>
        id="preset"
        label={t("preset")}
        testId="preset-select"
        value={custom ? CUSTOM : form.preset}
        onValueChange={(preset) => {
          if (preset !== CUSTOM) set({ preset, overrides: {} });
        }}
        options={[
          ...PRESETS.map((p) => ({ value: p, label: t(`presets.${p}`) })),
          // Offered only while it is what the sliders say, so it is never chosen by hand.
          ...(custom
            ? [{ value: CUSTOM, label: t("presetCustom", { base: t(`presets.${form.preset}`) }) }]
            : []),
        ]}
      />
      <div className="flex items-center gap-3">
        <Switch
          id="raw-switch"
          checked={raw}
          onCheckedChange={(checked) => set({ preset: checked ? "raw" : "gentle", overrides: {} })}
        />
        <Label htmlFor="raw-switch">{t("rawSwitch")}</Label>
      </div>
      <fieldset className="grid gap-3" disabled={raw}>
        {SLIDERS.map(({ key, min, max, step }) => (
          <SliderField
            key={key}
            id={`tuning-${key}`}
            label={t(key)}
            value={values[key]}
            min={min}
            max={max}
            step={step}
            disabled={raw}
            onValueChange={(v) =>
              set({ overrides: { ...form.overrides, [key]: Math.round(v * 100) / 100 } })
            }
          />
        ))}
        <SelectField
          id="denoise"
          label={t("denoise")}
          hint={t("denoiseHint")}
          value={String(values.denoise)}
          disabled={raw}
          onValueChange={(v) =>
            set({
              overrides: { ...form.overrides, denoise: Number(v) as TuningValues["denoise"] },
            })
          }
          options={DENOISE_SIZES.map((d) => ({
            value: String(d),
            label: d === 0 ? "—" : `${d} px`,
          }))}
        />
        {Object.keys(form.overrides).length > 0 ? (
          <Button type="button" variant="outline" size="sm" onClick={() => set({ overrides: {} })}>
            {t("resetTuning")}
          </Button>
        ) : null}
      </fieldset>
      {tileSelect}
      <OutputControls
        output={form.output}
        modelScale={modelScale}
        onChange={(output) => set({ output })}
      />
      <div className="grid gap-1">
        <div className="flex items-center gap-3">
          <Switch
            id="compare-downscaled"
            checked={form.compareDownscaled}
            onCheckedChange={(checked) => set({ compareDownscaled: checked })}
          />
          <Label htmlFor="compare-downscaled">{ts("compareDownscaled")}</Label>
        </div>
        <p className="text-xs text-muted-foreground">{ts("compareDownscaledHint")}</p>
      </div>
    </div>
  );
}
