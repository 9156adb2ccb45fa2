"use client";

import { AlertDialog as Primitive } from "radix-ui";
import type * as React from "react";
import { cn } from "~/lib/utils";
import { withClasses } from "./with-classes";

export const AlertDialog = Primitive.Root;
export const AlertDialogTrigger = Primitive.Trigger;
export const AlertDialogAction = Primitive.Action;
export const AlertDialogCancel = Primitive.Cancel;

export function AlertDialogContent({
  className,
  ...props
}: React.ComponentProps<typeof Primitive.Content>) {
  return (
    <Primitive.Portal>
      <Primitive.Overlay className="fixed inset-0 z-50 bg-black/50" />
      <Primitive.Content
        className={cn(
          "fixed left-1/2 top-1/2 z-50 grid max-h-[90vh] w-[calc(100%-2rem)] max-w-lg -translate-x-1/2 -translate-y-1/2 gap-4 overflow-y-auto rounded-lg border border-border bg-background p-6 shadow-lg",
          className,
        )}
        {...props}
      />
    </Primitive.Portal>
  );
}

export const AlertDialogTitle = withClasses(Primitive.Title, "text-lg font-semibold");

export const AlertDialogDescription = withClasses(
  Primitive.Description,
  "text-sm text-muted-foreground",
);

export const AlertDialogFooter = withClasses(
  "div",
  "flex flex-col-reverse gap-2 sm:flex-row sm:justify-end",
);
