// How long `waitForTask` waits before its next poll of `tasks.status`.

export interface PollIntervalOptions {
  /** The pause while a task runs, and the first while it waits (default 500 ms). */
  intervalMs: number;
  /** The longest pause while a task waits in the queue (default 5 s). */
  maxIntervalMs: number;
}

/**
 * A running task is polled every `intervalMs`, whether or not its progress moved (one tile of a
 * large model may run for a minute without a progress step), so its end is seen within one
 * interval; a status poll is cheap. Only a queued task, which may wait behind others for long,
 * is polled less and less often (x1.5 per poll, up to `maxIntervalMs`).
 */
export function nextPollInterval(
  status: string,
  previousMs: number | null,
  options: PollIntervalOptions,
): number {
  if (status !== "queued" || previousMs === null) return options.intervalMs;
  return Math.min(options.maxIntervalMs, Math.max(options.intervalMs, previousMs * 1.5));
}
