import { FINAL_TASK_STATUSES } from "@studio/contracts/task";
import { describe, expect, it } from "vitest";
import { nextPollInterval, POLL_IDLE_MAX_MS, POLL_RUNNING_MS } from "./polling";

describe("nextPollInterval", () => {
  it("polls fast while running, whatever happened before", () => {
    expect(nextPollInterval("running", 0)).toBe(POLL_RUNNING_MS);
    expect(nextPollInterval("running", 9)).toBe(POLL_RUNNING_MS);
  });

  it("backs off while queued and nothing changes, up to a ceiling", () => {
    const waits = [0, 1, 2, 3, 4, 5, 10].map((n) => nextPollInterval("queued", n));
    expect(waits[0]).toBeLessThan(waits[1] as number);
    expect(waits[1]).toBeLessThan(waits[2] as number);
    expect(waits.at(-1)).toBe(POLL_IDLE_MAX_MS);
  });

  it("stops at every final state", () => {
    for (const status of FINAL_TASK_STATUSES) {
      expect(nextPollInterval(status, 0)).toBe(false);
    }
  });
});
