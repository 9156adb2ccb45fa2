import { describe, expect, it } from "vitest";
import { dayValue, parseDay, uploadRange } from "./upload-date-range";

// 3 December 2026, 15:30 local time.
const now = new Date(2026, 11, 3, 15, 30);

describe("uploadRange", () => {
  it("counts presets in calendar days back from local midnight, today included", () => {
    expect(uploadRange("any", now)).toEqual({ ok: true, from: null, to: null });
    expect(uploadRange("today", now)).toEqual({ ok: true, from: new Date(2026, 11, 3), to: null });
    expect(uploadRange("week", now)).toEqual({
      ok: true,
      from: new Date(2026, 10, 27),
      to: null,
    });
    expect(uploadRange("month", now)).toEqual({ ok: true, from: new Date(2026, 10, 4), to: null });
  });

  it("takes a custom range's days whole, either end open, and refuses one that ends before it starts", () => {
    expect(uploadRange("custom", now, "2026-11-30", "2026-12-01")).toEqual({
      ok: true,
      from: new Date(2026, 10, 30),
      to: new Date(2026, 11, 2),
    });
    // One day: from its midnight to the next.
    expect(uploadRange("custom", now, "2026-12-01", "2026-12-01")).toEqual({
      ok: true,
      from: new Date(2026, 11, 1),
      to: new Date(2026, 11, 2),
    });
    expect(uploadRange("custom", now, "", "2026-12-31")).toEqual({
      ok: true,
      from: null,
      to: new Date(2027, 0, 1),
    });
    expect(uploadRange("custom", now, "2026-12-02", "2026-12-01")).toEqual({ ok: false });
  });

  it("reads date inputs' values and refuses impossible days", () => {
    expect(parseDay("2026-02-28")).toEqual(new Date(2026, 1, 28));
    expect(parseDay("2026-02-30")).toBeNull();
    expect(parseDay("")).toBeNull();
    expect(dayValue(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
  });
});
