"use client";

import { useTranslations } from "next-intl";
import type * as React from "react";
import { Alert } from "~/components/ui/alert";
import { Button, type ButtonProps } from "~/components/ui/button";
import { errorMessage } from "~/lib/errors";

/** What a mutation ended with: its error in words, or the success message once it succeeded. */
export function MutationFeedback({
  error,
  success,
}: {
  error?: unknown;
  success?: React.ReactNode;
}) {
  const t = useTranslations("common");
  return (
    <>
      {error ? <Alert>{errorMessage(error, t)}</Alert> : null}
      {success ? <Alert variant="success">{success}</Alert> : null}
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
