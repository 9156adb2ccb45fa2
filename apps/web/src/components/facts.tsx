import type * as React from "react";
import { cn } from "~/lib/utils";

/** Labelled facts in two columns: the label muted on the left, its value on the right. */
export function FactList({ className, ...props }: React.ComponentProps<"dl">) {
  return (
    <dl className={cn("grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm", className)} {...props} />
  );
}

/** One label and its value, inside a `FactList` or any `<dl>`. */
export function Fact({
  label,
  code = false,
  className,
  testId,
  children,
}: {
  label: React.ReactNode;
  /** The value is an identifier (a hash, a signature): small monospace, broken anywhere. */
  code?: boolean;
  /** Classes of the value. */
  className?: string;
  testId?: string;
  children: React.ReactNode;
}) {
  return (
    <>
      <dt className="text-muted-foreground">{label}</dt>
      <dd className={cn(code && "break-all font-mono text-xs", className)} data-testid={testId}>
        {children}
      </dd>
    </>
  );
}
