"use client";

import type * as React from "react";
import { Field } from "~/components/form";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "~/components/ui/select";
import { cn } from "~/lib/utils";

export interface SelectOption<V extends string> {
  value: V;
  label: React.ReactNode;
}

export interface SelectControlProps<V extends string> {
  /** The id of the visible text that names the select. */
  labelledBy?: string;
  /** The select's name where no visible text names it. */
  ariaLabel?: string;
  value: V | undefined;
  onValueChange: (value: V) => void;
  options: readonly SelectOption<V>[];
  placeholder?: React.ReactNode;
  disabled?: boolean;
  testId?: string;
  /** Classes of the trigger, for a width of its own. */
  className?: string;
}

/** A Radix select offering `options`; it can only report one of their values. */
export function SelectControl<V extends string>({
  labelledBy,
  ariaLabel,
  value,
  onValueChange,
  options,
  placeholder,
  disabled,
  testId,
  className,
}: SelectControlProps<V>) {
  return (
    <Select value={value} onValueChange={(next) => onValueChange(next as V)} disabled={disabled}>
      <SelectTrigger
        className={className}
        aria-labelledby={labelledBy}
        aria-label={ariaLabel}
        data-testid={testId}
      >
        <SelectValue placeholder={placeholder} />
      </SelectTrigger>
      <SelectContent>
        {options.map((option) => (
          <SelectItem key={option.value} value={option.value}>
            {option.label}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}

/** A labelled `SelectControl`; the label's id is `<id>-label`. */
export function SelectField<V extends string>({
  id,
  label,
  hint,
  required,
  className,
  triggerClassName,
  ...control
}: Omit<SelectControlProps<V>, "labelledBy" | "ariaLabel" | "className"> & {
  id: string;
  label: React.ReactNode;
  hint?: React.ReactNode;
  /** Marks the label with an asterisk. */
  required?: boolean;
  /** Classes of the field (label, select and hint). */
  className?: string;
  /** Classes of the select's trigger. */
  triggerClassName?: string;
}) {
  const labelId = `${id}-label`;
  return (
    <SelectFrame
      labelId={labelId}
      label={label}
      hint={hint}
      required={required}
      className={className}
    >
      <SelectControl labelledBy={labelId} className={triggerClassName} {...control} />
    </SelectFrame>
  );
}

/** The label and spacing of a select field, for a select that may be replaced by its loading state. */
export function SelectFrame({
  className,
  ...props
}: {
  labelId: string;
  label: React.ReactNode;
  hint?: React.ReactNode;
  required?: boolean;
  className?: string;
  children: React.ReactNode;
}) {
  return <Field className={cn("gap-1", className)} {...props} />;
}
