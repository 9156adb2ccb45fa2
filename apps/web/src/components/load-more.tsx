"use client";

import type * as React from "react";
import { type QueryResult, QueryView } from "~/components/query-state";
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

/**
 * An infinite query's list: `children` (the `items` fetched so far) with the button for the next
 * page under them, `empty` when there are no items, and the query's loading and error states
 * before its first page.
 */
export function PagedQueryView({
  query,
  items,
  empty,
  loadMoreLabel,
  loadMoreClassName,
  children,
}: {
  query: QueryResult<unknown> & React.ComponentProps<typeof LoadMore>["pages"];
  items: readonly unknown[];
  empty: React.ReactNode;
  loadMoreLabel: React.ReactNode;
  loadMoreClassName?: string;
  children: React.ReactNode;
}) {
  return (
    <QueryView query={query} isEmpty={() => items.length === 0} empty={empty}>
      {() => (
        <>
          {children}
          <LoadMore pages={query} label={loadMoreLabel} className={loadMoreClassName} />
        </>
      )}
    </QueryView>
  );
}
