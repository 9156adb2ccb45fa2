"use client";

import { useTranslations } from "next-intl";
import type * as React from "react";
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
