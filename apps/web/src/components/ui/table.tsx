import type * as React from "react";
import { cn } from "~/lib/utils";
import { withClasses } from "./with-classes";

export function Table({ className, ...props }: React.ComponentProps<"table">) {
  return (
    <div className="w-full overflow-x-auto">
      <table className={cn("w-full caption-bottom text-sm", className)} {...props} />
    </div>
  );
}
export const THead = withClasses("thead", "border-b border-border text-left text-muted-foreground");
export const TR = withClasses("tr", "border-b border-border last:border-0");
export const TH = withClasses("th", "h-10 px-3 font-medium whitespace-nowrap");
export const TD = withClasses("td", "px-3 py-2 align-middle");
