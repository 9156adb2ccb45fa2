import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type Device = "cpu" | "cuda";
export type DevicePreference = "auto" | "cpu" | "cuda";

let cudaProbe: { available: boolean; reason: string } | undefined;

/**
 * CUDA is only tried when onnxruntime-node's CUDA provider library was installed
 * (ONNXRUNTIME_NODE_INSTALL=cuda12) and a GPU device node exists; otherwise CPU.
 */
export function probeCuda(): { available: boolean; reason: string } {
  if (cudaProbe) return cudaProbe;
  try {
    const require = createRequire(import.meta.url);
    const pkg = dirname(require.resolve("onnxruntime-node/package.json"));
    const lib = join(
      pkg,
      "bin",
      "napi-v6",
      process.platform,
      process.arch,
      "libonnxruntime_providers_cuda.so",
    );
    if (!existsSync(lib)) {
      cudaProbe = { available: false, reason: "onnxruntime CUDA provider is not installed" };
    } else if (!existsSync("/dev/nvidia0")) {
      cudaProbe = { available: false, reason: "no NVIDIA GPU device found" };
    } else {
      cudaProbe = { available: true, reason: "CUDA provider and GPU present" };
    }
  } catch (err) {
    cudaProbe = { available: false, reason: `CUDA probe failed: ${(err as Error).message}` };
  }
  return cudaProbe;
}
