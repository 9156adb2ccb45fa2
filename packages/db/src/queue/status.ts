export const TASK_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "partially_failed",
  "failed",
  "canceled",
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const FINAL_TASK_STATUSES = ["succeeded", "partially_failed", "failed", "canceled"] as const;
export type FinalTaskStatus = (typeof FINAL_TASK_STATUSES)[number];

export const ITEM_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];
/** Items a (re)claimed task still has to run. */
export const PENDING_ITEM_STATUSES = ["queued", "running", "failed"] as const;

export const TASK_KINDS = ["segmentation", "super_resolution", "classification"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export function isFinalTaskStatus(status: string): status is FinalTaskStatus {
  return (FINAL_TASK_STATUSES as readonly string[]).includes(status);
}

export interface BackoffOptions {
  /** Delay before the second attempt; doubles for each further attempt. Default 10 s. */
  baseMs?: number;
  /** Upper bound of the delay. Default 10 min. */
  maxMs?: number;
}

/** Delay before the next try after `attempts` tries have failed (exponential, capped). */
export function retryDelayMs(attempts: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 10_000;
  const max = options.maxMs ?? 10 * 60_000;
  return Math.min(max, base * 2 ** Math.max(0, attempts - 1));
}
