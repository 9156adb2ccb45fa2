// Numbers, sizes, times and dates as the web app's report page writes them (apps/web
// src/lib/format.ts), for the PDF's language and the reader's time zone.

const UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

export interface Formats {
  bytes(n: number): string;
  ms(n: number | null | undefined): string;
  number(n: number, fractionDigits?: number): string;
  percent(fraction: number): string;
  date(d: Date | null | undefined): string;
  size(width: number, height: number): string;
}

/** `timeZone` is an IANA name the caller checked (see reportTimeZone). */
export function formats(locale: string, timeZone: string): Formats {
  const dates = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    // "long" adds the zone ("GMT+1", "UTC"): a kept file is read elsewhere.
    timeStyle: "long",
    timeZone,
  });
  const number = (n: number, fractionDigits = 3) =>
    new Intl.NumberFormat(locale, { maximumFractionDigits: fractionDigits }).format(n);
  return {
    bytes(n) {
      let value = n;
      let unit = 0;
      while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit += 1;
      }
      return `${number(value, unit === 0 || value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
    },
    ms(n) {
      if (n === null || n === undefined) return "—";
      if (n < 1000) return `${number(Math.round(n), 0)} ms`;
      return `${number(n / 1000, 1)} s`;
    },
    number,
    percent: (fraction) =>
      new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(
        fraction,
      ),
    date: (d) => (d ? dates.format(d) : "—"),
    size: (width, height) => `${width} × ${height}`,
  };
}

/** The reader's time zone when it is a real one (the page sends its own), else UTC. */
export function reportTimeZone(asked: string | null): string {
  if (!asked || asked.length > 64) return "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: asked });
    return asked;
  } catch {
    return "UTC";
  }
}

/** An item's wall time from the worker's timings (`totalMs`, else the model run alone). */
export function itemMs(timings: Record<string, number> | null | undefined): number | null {
  if (!timings) return null;
  return timings.totalMs ?? timings.runMs ?? null;
}
