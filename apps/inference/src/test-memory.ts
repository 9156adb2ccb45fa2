// Resident memory of another process, for the tests that check memory is given back (Linux only:
// from /proc/<pid>/status; writing "5" to /proc/<pid>/clear_refs sets the peak back to the
// current resident size).
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Whether this system can reset and read a process's peak (Linux). */
export const canMeasurePeaks = existsSync("/proc/self/clear_refs");

/** Resident memory (VmRSS) or its high-water mark (VmHWM) of a process, in bytes. */
export function memoryOf(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
}

/** Sets the process's peak (VmHWM) back to its current resident memory. */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}
