import type * as React from "react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { cn } from "~/lib/utils";

/**
 * A card whose header is its title, with an optional description under it or an action (a
 * link or button) beside it.
 */
export function TitledCard({
  title,
  description,
  action,
  contentClassName,
  children,
  ...cardProps
}: Omit<React.ComponentProps<"section">, "title"> & {
  title: React.ReactNode;
  description?: React.ReactNode;
  action?: React.ReactNode;
  contentClassName?: string;
}) {
  return (
    <Card {...cardProps}>
      <CardHeader className={cn(action && "flex-row items-center justify-between")}>
        <CardTitle>{title}</CardTitle>
        {description ? <CardDescription>{description}</CardDescription> : null}
        {action}
      </CardHeader>
      <CardContent className={contentClassName}>{children}</CardContent>
    </Card>
  );
}
