// The image picker's "Uploaded" filter as the instants images.list takes (`from` inclusive, `to`
// exclusive), computed in the browser so "today" is the user's today, in the user's time zone.

export const UPLOAD_PERIODS = ["any", "today", "week", "month", "custom"] as const;
export type UploadPeriod = (typeof UPLOAD_PERIODS)[number];

/** Days the presets reach back, today included. */
const PRESET_DAYS: Record<"today" | "week" | "month", number> = { today: 1, week: 7, month: 30 };

export type UploadRange =
  | { ok: true; from: Date | null; to: Date | null }
  /** The custom range ends before it starts (its days are inclusive, so one day is fine). */
  | { ok: false };

/** Local midnight starting the day of `date`, moved by `days` (calendar days, DST-safe). */
function startOfDay(date: Date, days = 0): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}

/** A date input's value ("2026-12-03") as local midnight of that day; null when blank or invalid. */
export function parseDay(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const date = new Date(year, month, day);
  return date.getMonth() === month && date.getDate() === day ? date : null;
}

/**
 * The range of a period. A preset counts calendar days back from `now` (today, the last 7, the last
 * 30 with today); a custom range takes whole days from `fromDay` through `toDay`, either open.
 */
export function uploadRange(
  period: UploadPeriod,
  now: Date,
  fromDay = "",
  toDay = "",
): UploadRange {
  if (period === "any") return { ok: true, from: null, to: null };
  if (period !== "custom") {
    return { ok: true, from: startOfDay(now, 1 - PRESET_DAYS[period]), to: null };
  }
  const from = parseDay(fromDay);
  const last = parseDay(toDay);
  const to = last ? startOfDay(last, 1) : null;
  if (from && to && from >= to) return { ok: false };
  return { ok: true, from, to };
}

/** A date input's value for a day ("2026-12-03", local). */
export function dayValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
