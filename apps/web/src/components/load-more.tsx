"use client";

import type * as React from "react";
import { Button } from "~/components/ui/button";
import { cn } from "~/lib/utils";

/** The button under a paged list that fetches its next page; there is none after the last page. */
export function LoadMore({
  pages,
  label,
  className,
}: {
  /** An infinite query. */
  pages: {
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => Promise<unknown>;
  };
  label: React.ReactNode;
  className?: string;
}) {
  if (!pages.hasNextPage) return null;
  return (
    <div className={cn("flex justify-center", className)}>
      <Button
        variant="outline"
        onClick={() => void pages.fetchNextPage()}
        disabled={pages.isFetchingNextPage}
      >
        {label}
      </Button>
    </div>
  );
}
