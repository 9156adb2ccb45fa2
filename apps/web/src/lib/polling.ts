import { isFinalTaskStatus, type TaskStatus } from "@studio/contracts/task";

export { isFinalTaskStatus };

export const POLL_RUNNING_MS = 1000;
export const POLL_IDLE_START_MS = 1500;
export const POLL_IDLE_MAX_MS = 15_000;

/**
 * How long to wait before asking for a task again: short while it runs (progress moves),
 * doubling while it waits in the queue and nothing changes, and never once it is final.
 * `unchangedPolls` counts consecutive answers that were identical to the one before.
 */
export function nextPollInterval(status: TaskStatus, unchangedPolls: number): number | false {
  if (isFinalTaskStatus(status)) return false;
  if (status === "running") return POLL_RUNNING_MS;
  const backoff = POLL_IDLE_START_MS * 2 ** Math.max(0, unchangedPolls);
  return Math.min(POLL_IDLE_MAX_MS, backoff);
}
