"use client";

import { Loader2 } from "lucide-react";
import { useTranslations } from "next-intl";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { useErrorMessage } from "~/lib/errors";

export function Loading({ label }: { label?: string }) {
  const t = useTranslations("common");
  return (
    <div role="status" className="flex items-center gap-2 py-6 text-sm text-muted-foreground">
      <Loader2 className="size-4 animate-spin" aria-hidden />
      {label ?? t("loading")}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const t = useTranslations("common");
  const errorMessage = useErrorMessage();
  return (
    <Alert className="flex flex-wrap items-center justify-between gap-3">
      <span>{t("errorPrefix", { message: errorMessage(error) })}</span>
      {onRetry ? (
        <Button size="sm" variant="outline" onClick={onRetry}>
          {t("retry")}
        </Button>
      ) : null}
    </Alert>
  );
}

export function EmptyState({
  children,
  action,
}: {
  children: React.ReactNode;
  action?: React.ReactNode;
}) {
  return (
    <div className="flex flex-col items-center gap-3 rounded-lg border border-dashed border-border px-6 py-10 text-center text-sm text-muted-foreground">
      <p>{children}</p>
      {action}
    </div>
  );
}

/** What the states below read from a react-query result, plain or infinite. */
export interface QueryResult<T> {
  isPending: boolean;
  error: unknown;
  data: T | undefined;
  refetch: () => Promise<unknown>;
}

/** A query that has no data to show yet: loading, or its error with a retry. */
export function QueryFallback({ query }: { query: Omit<QueryResult<unknown>, "data"> }) {
  if (query.isPending) return <Loading />;
  return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
}

/**
 * A query's data once it has arrived, `empty` in its place when there is nothing to show (an
 * empty list, unless `isEmpty` says otherwise), or the query's loading and error states.
 */
export function QueryView<T>({
  query,
  isEmpty,
  empty,
  children,
}: {
  query: QueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: React.ReactNode;
  children: (data: T) => React.ReactNode;
}) {
  if (query.isPending || query.error || query.data === undefined) {
    return <QueryFallback query={query} />;
  }
  const nothing = isEmpty
    ? isEmpty(query.data)
    : Array.isArray(query.data) && query.data.length === 0;
  if (nothing && empty !== undefined) return empty;
  return children(query.data);
}
