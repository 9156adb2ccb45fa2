"use client";

import { TUNING_PRESETS, type TuningPresetName, type TuningValues } from "@studio/core/spec";
import { useTranslations } from "next-intl";
import { Button } from "~/components/ui/button";
import { Label } from "~/components/ui/label";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "~/components/ui/select";
import { Slider } from "~/components/ui/slider";
import { Switch } from "~/components/ui/switch";
import { type FormParams, type Kind, type Tile, tileMemoryMB, tuningValues } from "./params";

const PRESETS = Object.keys(TUNING_PRESETS) as TuningPresetName[];
const TILES = ["auto", "off", 64, 96, 128, 192, 256, 384, 512, 768, 1024] as const;
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

function NumberSlider({
  id,
  label,
  value,
  min,
  max,
  step,
  disabled,
  onChange,
}: {
  id: string;
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  disabled?: boolean;
  onChange: (v: number) => void;
}) {
  return (
    <div className="grid gap-1">
      <div className="flex items-center justify-between">
        <Label id={`${id}-label`}>{label}</Label>
        <output className="font-mono text-xs tabular-nums">{value.toFixed(2)}</output>
      </div>
      <Slider
        aria-labelledby={`${id}-label`}
        aria-label={label}
        min={min}
        max={max}
        step={step}
        value={[value]}
        disabled={disabled}
        onValueChange={([v]) => onChange(v ?? value)}
      />
    </div>
  );
}

export function ParamControls({
  kind,
  form,
  onChange,
}: {
  kind: Kind;
  form: FormParams;
  onChange: (next: FormParams) => void;
}) {
  const t = useTranslations("newTask");
  const set = (patch: Partial<FormParams>) => onChange({ ...form, ...patch });
  const tileValue = String(form.tile);

  const tileSelect = (
    <div className="grid gap-1">
      <Label id="tile-label">{t("tile")}</Label>
      <Select
        value={tileValue}
        onValueChange={(v) => set({ tile: (v === "auto" || v === "off" ? v : Number(v)) as Tile })}
      >
        <SelectTrigger aria-labelledby="tile-label">
          <SelectValue />
        </SelectTrigger>
        <SelectContent>
          {TILES.map((tile) => (
            <SelectItem key={tile} value={String(tile)}>
              {tile === "auto" ? t("tileAuto") : tile === "off" ? t("tileOff") : `${tile} px`}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      {kind === "super_resolution" && typeof form.tile === "number" ? (
        <p className="text-xs text-muted-foreground">
          {t("tileHint", { tile: form.tile, mb: tileMemoryMB(form.tile) })}
        </p>
      ) : null}
    </div>
  );

  if (kind === "classification") {
    return (
      <NumberSlider
        id="topk"
        label={t("topK")}
        value={form.topK}
        min={1}
        max={20}
        step={1}
        onChange={(v) => set({ topK: Math.round(v) })}
      />
    );
  }

  if (kind === "segmentation") {
    return (
      <div className="grid gap-4">
        <NumberSlider
          id="threshold"
          label={t("threshold")}
          value={form.threshold}
          min={0.01}
          max={0.99}
          step={0.01}
          onChange={(v) => set({ threshold: v })}
        />
        {tileSelect}
      </div>
    );
  }

  const raw = form.preset === "raw";
  const values = tuningValues(form);
  return (
    <div className="grid gap-4">
      <div className="grid gap-1">
        <Label id="preset-label">{t("preset")}</Label>
        <Select
          value={form.preset}
          onValueChange={(v) => set({ preset: v as TuningPresetName, overrides: {} })}
        >
          <SelectTrigger aria-labelledby="preset-label" data-testid="preset-select">
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {PRESETS.map((p) => (
              <SelectItem key={p} value={p}>
                {t(`presets.${p}`)}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      </div>
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
          <NumberSlider
            key={key}
            id={`tuning-${key}`}
            label={t(key)}
            value={values[key]}
            min={min}
            max={max}
            step={step}
            disabled={raw}
            onChange={(v) =>
              set({ overrides: { ...form.overrides, [key]: Math.round(v * 100) / 100 } })
            }
          />
        ))}
        <div className="grid gap-1">
          <Label id="denoise-label">{t("denoise")}</Label>
          <Select
            value={String(values.denoise)}
            disabled={raw}
            onValueChange={(v) =>
              set({
                overrides: { ...form.overrides, denoise: Number(v) as TuningValues["denoise"] },
              })
            }
          >
            <SelectTrigger aria-labelledby="denoise-label">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {[0, 3, 5, 7].map((d) => (
                <SelectItem key={d} value={String(d)}>
                  {d === 0 ? "—" : `${d} px`}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </div>
        {Object.keys(form.overrides).length > 0 ? (
          <Button type="button" variant="outline" size="sm" onClick={() => set({ overrides: {} })}>
            {t("resetTuning")}
          </Button>
        ) : null}
      </fieldset>
      {tileSelect}
    </div>
  );
}
