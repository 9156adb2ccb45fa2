import { readFileSync } from "node:fs";

/**
 * Whether the CPU multiplies 8-bit pairs with VNNI (x86 `avx512_vnni` or `avx_vnni`), as the
 * Linux kernel reports it. Elsewhere (or when /proc is unreadable) false: the gate then only
 * offers INT8 if it measured it faster anyway.
 */
export function hasVnni(cpuinfo?: string): boolean {
  let text = cpuinfo;
  if (text === undefined) {
    if (process.platform !== "linux") return false;
    try {
      text = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return false;
    }
  }
  return /^flags\s*:.*\b(avx512_vnni|avx_vnni)\b/m.test(text);
}
