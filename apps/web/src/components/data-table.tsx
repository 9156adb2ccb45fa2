"use client";

import { useTranslations } from "next-intl";
import type * as React from "react";
import { type QueryResult, QueryView } from "~/components/query-state";
import { Table, TH, THead } from "~/components/ui/table";

/** A column heading, or a heading with classes (for example to hide the column on small screens). */
export type Column = string | { label: string; className: string };

/**
 * The header row of a data table. `actions` adds a last column for row buttons whose heading
 * only screen readers hear.
 */
export function DataTableHeader({
  columns,
  actions = false,
}: {
  columns: Column[];
  actions?: boolean;
}) {
  const t = useTranslations("common");
  return (
    <THead>
      <tr>
        {columns.map((column) =>
          typeof column === "string" ? (
            <TH key={column}>{column}</TH>
          ) : (
            <TH key={column.label} className={column.className}>
              {column.label}
            </TH>
          ),
        )}
        {actions ? <TH className="sr-only">{t("actions")}</TH> : null}
      </tr>
    </THead>
  );
}

/** A table with a header row of `columns`; its rows (`TR`s) are the children. */
export function DataTable({
  columns,
  actions,
  children,
}: {
  columns: Column[];
  actions?: boolean;
  children: React.ReactNode;
}) {
  return (
    <Table>
      <DataTableHeader columns={columns} actions={actions} />
      <tbody>{children}</tbody>
    </Table>
  );
}

/**
 * A query's list as a data table, a row per item from `children`; `empty` in the table's place
 * when the list is empty, and the query's loading and error states before it has arrived.
 */
export function QueryTable<T>({
  query,
  empty,
  columns,
  actions,
  children,
}: {
  query: QueryResult<T[]>;
  empty?: React.ReactNode;
  columns: Column[];
  actions?: boolean;
  children: (item: T) => React.ReactNode;
}) {
  return (
    <QueryView query={query} empty={empty}>
      {(items) => (
        <DataTable columns={columns} actions={actions}>
          {items.map((item) => children(item))}
        </DataTable>
      )}
    </QueryView>
  );
}
