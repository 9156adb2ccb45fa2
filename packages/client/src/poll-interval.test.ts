import { expect, it } from "vitest";
import { nextPollInterval } from "./poll-interval";

const options = { intervalMs: 500, maxIntervalMs: 5_000 };

it("polls a running task every interval, however long its progress stands still", () => {
  let pause: number | null = null;
  for (let poll = 0; poll < 50; poll++) {
    pause = nextPollInterval("running", pause, options);
    expect(pause).toBe(500);
  }
});

it("backs off while the task is queued, up to the longest pause, and speeds up once it runs", () => {
  const pauses: number[] = [];
  let pause: number | null = null;
  for (let poll = 0; poll < 10; poll++) {
    pause = nextPollInterval("queued", pause, options);
    pauses.push(pause);
  }
  expect(pauses.slice(0, 4)).toEqual([500, 750, 1125, 1687.5]);
  expect(Math.max(...pauses)).toBe(5_000);
  expect(nextPollInterval("running", pause, options)).toBe(500);
});
