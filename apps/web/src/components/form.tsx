"use client";

import type * as React from "react";
import { RecordedProblem } from "~/components/recorded-problem";
import { Alert } from "~/components/ui/alert";
import { Button, type ButtonProps } from "~/components/ui/button";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { useErrorMessage } from "~/lib/errors";
import { cn } from "~/lib/utils";

/** A form that hands its values to `onValues` instead of navigating. */
export function Form({
  onValues,
  resetAfterSubmit = false,
  ...formProps
}: Omit<React.ComponentProps<"form">, "onSubmit"> & {
  onValues: (values: FormData) => void;
  /** Empties the fields at once, ready for the next entry while the request runs. */
  resetAfterSubmit?: boolean;
}) {
  return (
    <form
      {...formProps}
      onSubmit={(event) => {
        event.preventDefault();
        onValues(new FormData(event.currentTarget));
        if (resetAfterSubmit) event.currentTarget.reset();
      }}
    />
  );
}

/** A text field's value in submitted form data; a field that is absent reads as empty. */
export function formText(form: FormData, name: string): string {
  return String(form.get(name) ?? "");
}

/**
 * How a field's label reaches its control: `htmlFor` for native controls, `labelId` for composite
 * widgets (Radix selects) that name themselves with `aria-labelledby`.
 */
type FieldLabelTarget = { htmlFor: string; labelId?: never } | { labelId: string; htmlFor?: never };

/** Labelled control with an optional message below it; the error, when present, replaces the hint. */
export function Field({
  htmlFor,
  labelId,
  label,
  error,
  hint,
  required,
  className,
  children,
}: FieldLabelTarget & {
  label: React.ReactNode;
  error?: React.ReactNode;
  hint?: React.ReactNode;
  /** Marks the label with an asterisk (the control itself says "required" to assistive tech). */
  required?: boolean;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <div className={cn("grid gap-2", className)}>
      <Label htmlFor={htmlFor} id={labelId}>
        {label}
        {required ? <RequiredMark /> : null}
      </Label>
      {children}
      {error ? (
        <p id={htmlFor ? fieldErrorId(htmlFor) : undefined} className="text-sm text-destructive">
          {error}
        </p>
      ) : hint ? (
        <p className="text-xs text-muted-foreground">{hint}</p>
      ) : null}
    </div>
  );
}

/** The asterisk of a required field; hidden from screen readers, which hear `required`. */
export function RequiredMark() {
  return (
    <span aria-hidden className="ml-0.5 text-destructive" data-required-mark>
      *
    </span>
  );
}

export type TextFieldProps = Omit<React.ComponentProps<"input">, "id"> & {
  id: string;
  label: React.ReactNode;
  error?: React.ReactNode;
  hint?: React.ReactNode;
  /** Shows the asterisk when the input is required (forms that explain it opt in). */
  markRequired?: boolean;
};

/**
 * An `Input` inside a `Field`. An error marks the input invalid and is read out with it, so
 * screen readers hear why the value was refused.
 */
export function TextField({ id, label, error, hint, markRequired, ...inputProps }: TextFieldProps) {
  return (
    <Field
      htmlFor={id}
      label={label}
      error={error}
      hint={hint}
      required={markRequired && inputProps.required}
    >
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

/** How a mutation ended: its error in the user's language, or `success` once it succeeded. */
export function MutationFeedback({
  error,
  success,
  className,
}: {
  error?: unknown;
  success?: React.ReactNode;
  /** Spacing where the feedback does not sit in a grid with gaps. */
  className?: string;
}) {
  const errorMessage = useErrorMessage();
  return (
    <>
      {error ? <Alert className={className}>{errorMessage(error)}</Alert> : null}
      {success ? (
        <Alert variant="success" className={className}>
          {success}
        </Alert>
      ) : null}
    </>
  );
}

/**
 * Under a detail page's header: why the last change to the thing failed, then the error the
 * thing itself records (a failed task, a weight that did not validate).
 */
export function DetailProblems({
  mutationError,
  recorded,
  recordedGeneral,
}: {
  mutationError: unknown;
  recorded: string | null | undefined;
  /** What `recorded` is about, in the page's language (see RecordedProblem). */
  recordedGeneral: string;
}) {
  return (
    <>
      <MutationFeedback error={mutationError} className="mb-4" />
      {recorded ? (
        <Alert className="mb-4">
          <RecordedProblem text={recorded} general={recordedGeneral} />
        </Alert>
      ) : null}
    </>
  );
}

/** A submit button that is disabled while its request runs and then shows `pendingLabel`. */
export function SubmitButton({
  pending,
  pendingLabel,
  disabled,
  children,
  ...buttonProps
}: Omit<ButtonProps, "type"> & { pending: boolean; pendingLabel?: React.ReactNode }) {
  return (
    <Button type="submit" disabled={pending || disabled} {...buttonProps}>
      {pending && pendingLabel ? pendingLabel : children}
    </Button>
  );
}
