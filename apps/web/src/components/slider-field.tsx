"use client";

import type * as React from "react";
import { Label } from "~/components/ui/label";
import { Slider } from "~/components/ui/slider";
import { cn } from "~/lib/utils";

/**
 * A labelled one-thumb slider over a number. The label (id `<id>-label`) names the slider, and
 * unless `readout` is off the current value is written beside it; `children` go below.
 */
export function SliderField({
  id,
  label,
  value,
  onValueChange,
  min,
  max,
  step,
  disabled,
  readout = true,
  readoutTestId,
  digits = 2,
  hint,
  className,
  children,
}: {
  id: string;
  label: string;
  value: number;
  onValueChange: (value: number) => void;
  min: number;
  max: number;
  step: number;
  disabled?: boolean;
  readout?: boolean;
  readoutTestId?: string;
  /** Decimals of the readout (0 for a count). */
  digits?: number;
  /** A line under the slider that says what the value does. */
  hint?: React.ReactNode;
  className?: string;
  children?: React.ReactNode;
}) {
  const labelId = `${id}-label`;
  const labelElement = <Label id={labelId}>{label}</Label>;
  return (
    <div className={cn("grid gap-1", className)}>
      {readout ? (
        <div className="flex items-center justify-between">
          {labelElement}
          <output data-testid={readoutTestId} className="font-mono text-xs tabular-nums">
            {value.toFixed(digits)}
          </output>
        </div>
      ) : (
        labelElement
      )}
      <Slider
        aria-labelledby={labelId}
        aria-label={label}
        min={min}
        max={max}
        step={step}
        value={[value]}
        disabled={disabled}
        onValueChange={([next]) => onValueChange(next ?? value)}
      />
      {hint ? <p className="text-xs text-muted-foreground">{hint}</p> : null}
      {children}
    </div>
  );
}
