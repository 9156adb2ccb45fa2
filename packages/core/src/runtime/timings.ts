export interface Timings {
  decodeMs: number;
  preMs: number;
  runMs: number;
  postMs: number;
  encodeMs: number;
  totalMs: number;
}

export function emptyTimings(): Timings {
  return { decodeMs: 0, preMs: 0, runMs: 0, postMs: 0, encodeMs: 0, totalMs: 0 };
}

/** Adds the time spent in `fn` to one field. */
export async function timed<T>(
  t: Timings,
  field: Exclude<keyof Timings, "totalMs">,
  fn: () => Promise<T> | T,
): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    t[field] += performance.now() - start;
  }
}
