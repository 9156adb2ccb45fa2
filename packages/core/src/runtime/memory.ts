import { execFile } from "node:child_process";
import type { Device } from "./providers";

/**
 * Share of the memory available now that one model run may take: the rest stays for the
 * output image, the other worker slot or preview process, and the page cache.
 */
export const RUN_MEMORY_SHARE = 0.5;

/** Used when a CUDA device's free memory cannot be read (no nvidia-smi): an 8 GB card's half. */
const CUDA_FALLBACK_BYTES = 4 * 1024 ** 3;

/**
 * Bytes of memory available to this process now. libuv's figure (Node's
 * `process.availableMemory()`) is the free memory of the machine or, inside a cgroup (v1 or v2)
 * with a limit, that limit minus the group's usage, whichever is smaller; so a container's limit
 * is honoured without reading /sys here.
 */
export function availableCpuMemory(): number {
  return process.availableMemory();
}

let cudaFree: { at: number; bytes: number | null } | undefined;

/**
 * Free memory of the first GPU (the device onnxruntime's CUDA provider uses by default), from
 * nvidia-smi; onnxruntime-node does not expose it. Cached for a few seconds: every tile plan asks.
 */
export async function availableCudaMemory(): Promise<number | null> {
  if (cudaFree && Date.now() - cudaFree.at < 5000) return cudaFree.bytes;
  const bytes = await new Promise<number | null>((resolve) => {
    execFile(
      "nvidia-smi",
      ["--query-gpu=memory.free", "--format=csv,noheader,nounits", "--id=0"],
      { timeout: 2000 },
      (error, stdout) => {
        const mib = Number(String(stdout).trim().split("\n")[0]);
        resolve(error || !Number.isFinite(mib) || mib <= 0 ? null : mib * 1024 * 1024);
      },
    );
  });
  cudaFree = { at: Date.now(), bytes };
  return bytes;
}

/** The memory one model run on `device` may use: a share of what the device has free now. */
export async function runMemoryBudget(device: Device): Promise<number> {
  const free =
    device === "cuda"
      ? ((await availableCudaMemory()) ?? CUDA_FALLBACK_BYTES / RUN_MEMORY_SHARE)
      : availableCpuMemory();
  return Math.floor(free * RUN_MEMORY_SHARE);
}
