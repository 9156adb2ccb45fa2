"use client";

import { useTranslations } from "next-intl";
import type * as React from "react";
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "~/components/ui/alert-dialog";
import { Button, type ButtonProps } from "~/components/ui/button";

/**
 * A button for an action that cannot be undone: it asks first, in a dialog titled
 * `confirmation` that says what will happen (`description`), with `confirmLabel` on the button
 * that does it.
 */
export function ConfirmButton({
  confirmation,
  description,
  confirmLabel,
  onConfirm,
  ...buttonProps
}: Omit<ButtonProps, "onClick"> & {
  confirmation: string;
  description?: React.ReactNode;
  confirmLabel?: string;
  onConfirm: () => void;
}) {
  const t = useTranslations("common");
  return (
    <AlertDialog>
      <AlertDialogTrigger asChild>
        <Button {...buttonProps} />
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogTitle>{confirmation}</AlertDialogTitle>
        {/* Radix expects a description: without one given, the title is repeated for screen readers. */}
        <AlertDialogDescription className={description ? undefined : "sr-only"}>
          {description ?? confirmation}
        </AlertDialogDescription>
        <AlertDialogFooter>
          <AlertDialogCancel asChild>
            <Button variant="outline">{t("cancel")}</Button>
          </AlertDialogCancel>
          <AlertDialogAction asChild>
            <Button variant="destructive" onClick={onConfirm}>
              {confirmLabel ?? t("confirm")}
            </Button>
          </AlertDialogAction>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
