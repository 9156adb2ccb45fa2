import type * as React from "react";
import { cn } from "~/lib/utils";

/** A message box; `role="alert"` makes screen readers announce errors as they appear. */
export function Alert({
  className,
  variant = "error",
  ...props
}: React.ComponentProps<"div"> & { variant?: "error" | "info" | "success" }) {
  return (
    <div
      role={variant === "error" ? "alert" : "status"}
      className={cn(
        "rounded-md border px-4 py-3 text-sm",
        variant === "error" && "border-destructive/40 bg-destructive/10 text-destructive",
        variant === "info" && "border-border bg-muted text-foreground",
        variant === "success" &&
          "border-emerald-600/30 bg-emerald-50 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100",
        className,
      )}
      {...props}
    />
  );
}
