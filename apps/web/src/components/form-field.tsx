import type * as React from "react";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";

/** Labelled control with an optional message below it; the error, when present, replaces the hint. */
export function Field({
  htmlFor,
  label,
  error,
  hint,
  children,
}: {
  htmlFor: string;
  label: React.ReactNode;
  error?: React.ReactNode;
  hint?: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <div className="grid gap-2">
      <Label htmlFor={htmlFor}>{label}</Label>
      {children}
      {error ? (
        <p id={fieldErrorId(htmlFor)} className="text-sm text-destructive">
          {error}
        </p>
      ) : hint ? (
        <p className="text-xs text-muted-foreground">{hint}</p>
      ) : null}
    </div>
  );
}

export type TextFieldProps = Omit<React.ComponentProps<"input">, "id"> & {
  id: string;
  label: React.ReactNode;
  error?: React.ReactNode;
  hint?: React.ReactNode;
};

/**
 * An `Input` inside a `Field`: an error marks the input invalid and is read out with it, so
 * screen readers hear why the value was refused.
 */
export function TextField({ id, label, error, hint, ...inputProps }: TextFieldProps) {
  return (
    <Field htmlFor={id} label={label} error={error} hint={hint}>
      <Input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? fieldErrorId(id) : undefined}
        {...inputProps}
      />
    </Field>
  );
}

function fieldErrorId(controlId: string): string {
  return `${controlId}-error`;
}
