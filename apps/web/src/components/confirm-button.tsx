"use client";

import { Button, type ButtonProps } from "~/components/ui/button";

/** A button for an action that cannot be undone: it asks `confirmation` first. */
export function ConfirmButton({
  confirmation,
  onConfirm,
  ...buttonProps
}: Omit<ButtonProps, "onClick"> & { confirmation: string; onConfirm: () => void }) {
  return (
    <Button
      {...buttonProps}
      onClick={() => {
        if (window.confirm(confirmation)) onConfirm();
      }}
    />
  );
}
