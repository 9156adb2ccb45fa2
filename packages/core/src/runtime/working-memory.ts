import { readFileSync, writeFileSync } from "node:fs";

/**
 * The process's peak resident memory since the last `reset()`, from Linux's VmHWM (the resident
 * high-water mark; writing "5" to /proc/self/clear_refs sets it back to the current RSS, Linux
 * 4.0+). A model run blocks the JavaScript thread, so sampling RSS with a timer during it sees
 * nothing; the kernel's mark sees the run's real peak. Null where /proc cannot do this.
 */
export const peakRss = {
  reset(): boolean {
    try {
      writeFileSync("/proc/self/clear_refs", "5");
      return true;
    } catch {
      return false;
    }
  },
  read(): number | null {
    try {
      const kb = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
      return kb === undefined ? null : Number(kb) * 1024;
    } catch {
      return null;
    }
  },
};

/** Peak resident memory (bytes, absolute) while `fn` runs, or null where it cannot be read. */
export async function peakDuring(fn: () => Promise<void>): Promise<number | null> {
  if (!peakRss.reset()) return null;
  await fn();
  return peakRss.read();
}

/**
 * A model's working memory per input pixel, from the first two runs of a fresh session, at
 * `small` then `large` sides (square): the difference of their absolute peaks over the
 * difference of their pixel counts. What any run needs whatever its size (the first run's
 * one-time allocations, thread scratch) is in both peaks and cancels out; and both peaks are
 * absolute because memory the first run freed stays resident and is reused by the second, so
 * the second's growth over its own start would miss it. `inputBytesPerPixel` (the input
 * tensor, made before each run) is added. Null when the peaks cannot be read or do not rise
 * with size (noise: the caller keeps its estimate).
 *
 * Why measured: a figure from the operators alone misses what onnxruntime keeps alive at once
 * (SwinIR's attention needs ~15x the memory per pixel of a plain conv net); a trial run of the
 * real session on this machine is the only figure that includes it.
 */
export async function measureBytesPerPixel(opts: {
  run: (side: number) => Promise<void>;
  small: number;
  large: number;
  inputBytesPerPixel: number;
}): Promise<number | null> {
  const small = await peakDuring(() => opts.run(opts.small));
  const large = await peakDuring(() => opts.run(opts.large));
  if (small === null || large === null || large <= small) return null;
  const perPixel = (large - small) / (opts.large ** 2 - opts.small ** 2);
  return roundUpToQuarterOctave(perPixel + opts.inputBytesPerPixel);
}

/**
 * Rounded up to the next 2^(k/4): the worker and a preview process measure the same model
 * separately, and the tiles "auto" plans from it should agree (a preview computes the tiles
 * the final run computes) despite a few percent of measurement noise.
 */
export function roundUpToQuarterOctave(bytes: number): number {
  return Math.ceil(2 ** (Math.ceil(Math.log2(bytes) * 4) / 4));
}
