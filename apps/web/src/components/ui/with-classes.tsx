import type * as React from "react";
import { cn } from "~/lib/utils";

/**
 * `Component` with `base` classes of its own. Classes a caller passes come last, so they win
 * where the two conflict (a width, a padding). Most primitives here are nothing more.
 */
export function withClasses<C extends React.ElementType>(Component: C, base: string) {
  // A generic element type cannot be rendered as JSX without losing its props' type.
  const Render = Component as React.ElementType;
  return function WithClasses({ className, ...props }: React.ComponentProps<C>) {
    return <Render className={cn(base, className)} {...props} />;
  };
}
