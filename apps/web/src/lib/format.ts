const UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** Binary-prefixed size with at most one decimal, formatted for the locale. */
export function formatBytes(bytes: number, locale: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value)} ${UNITS[unit]}`;
}

export function formatMs(ms: number | null | undefined, locale: string): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${new Intl.NumberFormat(locale).format(Math.round(ms))} ms`;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(ms / 1000)} s`;
}

/** An item's wall time from the worker's timings (`totalMs`, else the model run alone). */
export function itemMs(timings: Record<string, number> | null | undefined): number | null {
  if (!timings) return null;
  return timings.totalMs ?? timings.runMs ?? null;
}
