import type * as React from "react";
import { cn } from "~/lib/utils";

/**
 * A plain `<select>` styled like `Input`, for forms read through `FormData`. `min-w-0` keeps a
 * long option from widening its grid cell.
 */
export function NativeSelect({ className, ...props }: React.ComponentProps<"select">) {
  return (
    <select
      className={cn(
        "h-10 w-full min-w-0 rounded-md border border-border bg-background px-3 text-sm",
        className,
      )}
      {...props}
    />
  );
}
