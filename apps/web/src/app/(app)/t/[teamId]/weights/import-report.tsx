"use client";

import {
  type ImportReportWire,
  importReportSchema,
} from "@studio/contracts/inference/import-report";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { z } from "zod";
import { Badge } from "~/components/ui/badge";

/**
 * The importer's report arrives as JSON: in a 422 body from the upload route and stored in
 * `validationReport.import`. Checked against the wire schema; anything else shows no report.
 */
export function parseImportReport(value: unknown): ImportReportWire | null {
  return importReportSchema.safeParse(value).data ?? null;
}

/**
 * What detection read from the file's keys and shapes (core's DetectedSummary). The wire schema
 * is loose, so the field arrives untyped: checked here, and not shown when it does not fit.
 */
const detectedSchema = z.object({
  family: z.string(),
  id: z.string(),
  name: z.string(),
  hyperparameters: z.record(z.string(), z.union([z.number(), z.string()])),
  parameterCount: z.number(),
  notes: z.array(z.string()),
});
export type DetectedArchitecture = z.infer<typeof detectedSchema>;

export function detectedArchitecture(report: ImportReportWire): DetectedArchitecture | null {
  return detectedSchema.safeParse(report.detected).data ?? null;
}

const formatShape = (s: number[]) => `[${s.join(", ")}]`;

/** The detected family, id and every hyperparameter, labelled in the user's language. */
export function DetectedArchitectureDetails({ detected }: { detected: DetectedArchitecture }) {
  const t = useTranslations("weights.importReport");
  const format = useFormatter();
  const label = (key: string) =>
    t.has(`hyperparameter.${key}`) ? t(`hyperparameter.${key}`) : key;
  const value = (v: number | string) => (typeof v === "number" ? format.number(v) : v);
  return (
    <section className="grid gap-2" data-testid="import-report-detected">
      <h4 className="text-sm font-medium">{t("detected")}</h4>
      <p className="break-words">
        <span data-testid="import-report-detected-name">{detected.name}</span>{" "}
        <span className="font-mono text-muted-foreground text-xs" translate="no">
          {detected.id}
        </span>
      </p>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        <dt className="text-muted-foreground">{t("family")}</dt>
        <dd className="font-mono text-xs leading-5" translate="no">
          {detected.family}
        </dd>
        {Object.entries(detected.hyperparameters).map(([key, v]) => (
          <div key={key} className="contents" data-testid={`detected-${key}`}>
            <dt className="text-muted-foreground">{label(key)}</dt>
            <dd className="min-w-0 break-all font-mono text-xs leading-5" translate="no">
              {value(v)}
            </dd>
          </div>
        ))}
        <dt className="text-muted-foreground">{t("parameters")}</dt>
        <dd className="font-mono text-xs leading-5">{format.number(detected.parameterCount)}</dd>
      </dl>
      {detected.notes.length > 0 ? (
        <ul className="list-disc pl-5 text-muted-foreground">
          {detected.notes.map((note) => (
            <li key={note} className="break-words">
              {note}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** A titled, scrolling list of tensor keys; nothing at all when there are none. */
function KeyList<T>({
  title,
  testId,
  items,
  children,
}: {
  title: (count: number) => string;
  testId: string;
  items: readonly T[];
  children: (item: T) => React.ReactNode;
}) {
  if (items.length === 0) return null;
  return (
    <section className="grid gap-1" data-testid={testId}>
      <h4 className="text-sm font-medium">{title(items.length)}</h4>
      <ul className="max-h-60 overflow-auto rounded-md border border-border bg-background p-2 font-mono text-xs">
        {items.map(children)}
      </ul>
    </section>
  );
}

/** Keys that are wrong (in red), each with `detail`: what was expected of it. */
function FaultyKeyList<T extends { key: string }>({
  detail,
  ...list
}: Omit<React.ComponentProps<typeof KeyList<T>>, "children"> & {
  detail: (item: T) => React.ReactNode;
}) {
  return (
    <KeyList {...list}>
      {(item) => (
        <li key={item.key} className="break-all">
          <span className="text-destructive">{item.key}</span>{" "}
          <span className="text-muted-foreground">{detail(item)}</span>
        </li>
      )}
    </KeyList>
  );
}

/**
 * The precise result of a PyTorch/safetensors import: what is missing (with the expected shape),
 * what does not fit (expected vs actual), and the extra keys that were ignored.
 */
export function ImportReportDetails({
  report,
  showSummary = true,
}: {
  report: ImportReportWire;
  showSummary?: boolean;
}) {
  const t = useTranslations("weights.importReport");
  const tErrors = useTranslations("errors");
  const format = useFormatter();
  // The summary and the refusal are the importer's English; other languages say the refusal by
  // its code, and the lists below (keys, shapes) speak for themselves.
  const english = useLocale() === "en";
  const code = report.error?.code;
  const summary = english ? report.summary : code && tErrors.has(code) ? tErrors(code) : null;
  const facts: Array<[string, React.ReactNode]> = [];
  if (report.architecture) facts.push([t("architecture"), report.architecture]);
  if (report.format) facts.push([t("container"), report.format]);
  if (report.fileName) facts.push([t("fileName"), report.fileName]);
  facts.push([t("wrapperKey"), report.wrapperKey ?? t("none")]);
  facts.push([t("strippedPrefix"), report.strippedPrefix ?? t("none")]);
  const dtypes = Object.entries(report.dtypes);
  if (dtypes.length > 0)
    facts.push([t("dtypes"), dtypes.map(([d, n]) => `${d} × ${format.number(n)}`).join(", ")]);
  if (typeof report.tensorCount === "number")
    facts.push([t("tensors"), format.number(report.tensorCount)]);
  if (typeof report.parameterCount === "number" && report.parameterCount > 0)
    facts.push([t("parameters"), format.number(report.parameterCount)]);
  const detected = detectedArchitecture(report);

  return (
    <div className="grid min-w-0 gap-3 text-sm" data-testid="import-report">
      <div className="flex flex-wrap items-center gap-2">
        {report.verdict ? (
          <Badge tone={report.verdict === "accepted" ? "success" : "danger"}>
            {t(`verdict.${report.verdict}`)}
          </Badge>
        ) : null}
        {report.error && english ? (
          <span className="font-mono text-xs">({report.error.code})</span>
        ) : null}
        {showSummary && summary ? (
          <span className="min-w-0 break-words" data-testid="import-report-summary">
            {summary}
          </span>
        ) : null}
      </div>
      {english && report.error && report.error.message !== report.summary ? (
        <p className="break-words">{report.error.message}</p>
      ) : null}
      {detected ? <DetectedArchitectureDetails detected={detected} /> : null}
      <FaultyKeyList
        title={(count) => t("missing", { count })}
        testId="import-report-missing"
        items={report.missing}
        detail={(m) => t("expectedShape", { shape: formatShape(m.expectedShape) })}
      />
      <FaultyKeyList
        title={(count) => t("shapeMismatches", { count })}
        testId="import-report-mismatches"
        items={report.shapeMismatches}
        detail={(m) =>
          t("expectedVsActual", {
            expected: formatShape(m.expectedShape),
            actual: formatShape(m.actualShape),
          })
        }
      />
      <FaultyKeyList
        title={(count) => t("dtypeMismatches", { count })}
        testId="import-report-dtypes"
        items={report.dtypeMismatches}
        detail={(m) => t("storedAs", { dtype: m.dtype })}
      />
      <KeyList
        title={(count) => t("nonFinite", { count })}
        testId="import-report-nonfinite"
        items={report.nonFinite}
      >
        {(key) => (
          <li key={key} className="break-all text-destructive">
            {key}
          </li>
        )}
      </KeyList>
      <KeyList
        title={(count) => t("unexpected", { count })}
        testId="import-report-unexpected"
        items={report.unexpected}
      >
        {(u) => (
          <li key={u.key} className="break-all">
            {u.key}{" "}
            <span className="text-muted-foreground">
              {formatShape(u.shape)}
              {u.dtype ? ` ${u.dtype}` : ""}
            </span>{" "}
            <Badge tone="warning">{t("ignored")}</Badge>
          </li>
        )}
      </KeyList>
      <KeyList title={() => t("warnings")} testId="import-report-warnings" items={report.warnings}>
        {(w) => (
          <li key={w} className="break-words">
            {w}
          </li>
        )}
      </KeyList>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        {facts.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-muted-foreground">{label}</dt>
            <dd className="min-w-0 break-all font-mono text-xs leading-5">{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
