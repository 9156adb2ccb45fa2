// Kinds and statuses are defined once in @studio/contracts; the queue adds what only it needs.
export {
  FINAL_TASK_STATUSES,
  type FinalTaskStatus,
  ITEM_STATUSES,
  type ItemStatus,
  isFinalTaskStatus,
  TASK_KINDS,
  TASK_STATUSES,
  type TaskKind,
  type TaskStatus,
} from "@studio/contracts/task";

/** Items a (re)claimed task still has to run. */
export const PENDING_ITEM_STATUSES = ["queued", "running", "failed"] as const;

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
