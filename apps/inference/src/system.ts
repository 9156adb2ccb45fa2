import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { SystemResponse } from "@studio/contracts/inference/system";
import { loadOrt, ortInfo } from "./ort";
import { SERVICE_VERSION } from "./version";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

interface GpuDevice {
  name: string;
  memoryTotalMb?: number;
}

let gpuCache: Promise<GpuDevice[]> | undefined;

/** NVIDIA GPUs as nvidia-smi reports them; none when the tool is absent. Asked once. */
function gpuDevices(): Promise<GpuDevice[]> {
  gpuCache ??= run(
    "nvidia-smi",
    ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
    {
      timeout: 3000,
    },
  )
    .then(({ stdout }) =>
      stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [name = "GPU", mem] = line.split(",").map((s) => s.trim());
          const memoryTotalMb = Number(mem);
          return Number.isFinite(memoryTotalMb) ? { name, memoryTotalMb } : { name };
        }),
    )
    .catch(() => []);
  return gpuCache;
}

/**
 * onnxruntime-node lists CUDA as a backend even when its CUDA libraries were never installed
 * (ONNXRUNTIME_NODE_INSTALL=skip); it is usable only when the provider library is present.
 */
function cudaProviderInstalled(): boolean {
  try {
    const pkg = require.resolve("onnxruntime-node/package.json");
    const binRoot = path.join(path.dirname(pkg), "bin");
    const stack = [binRoot];
    while (stack.length) {
      const dir = stack.pop() as string;
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) stack.push(path.join(dir, entry.name));
        else if (/onnxruntime_providers_cuda/.test(entry.name)) return true;
      }
    }
  } catch {
    return false;
  }
  return false;
}

/** A dependency's version, found from its entry point (some packages do not export package.json). */
function packageVersion(name: string, from?: string): string | undefined {
  try {
    const req = from ? createRequire(from) : require;
    let dir = path.dirname(req.resolve(name));
    for (let i = 0; i < 5; i++) {
      const file = path.join(dir, "package.json");
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      }
      dir = path.dirname(dir);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export type StorageReport = NonNullable<SystemResponse["storage"]>;

export interface SystemSources {
  worker: SystemResponse["worker"];
  preview: SystemResponse["preview"];
  queue?: () => Promise<SystemResponse["queue"]>;
  storage?: StorageReport;
}

/** Whether this machine can run models on CUDA: the provider library is there and a GPU is. */
export async function cudaUsable(): Promise<boolean> {
  return cudaProviderInstalled() && (await gpuDevices()).length > 0;
}

export async function systemReport(sources: SystemSources): Promise<SystemResponse> {
  const cpus = os.cpus();
  const memory = process.memoryUsage();
  const [gpus, ort, queue] = await Promise.all([
    gpuDevices(),
    ortInfo().catch(() => undefined),
    sources.queue?.().catch(() => undefined),
  ]);
  await loadOrt().catch(() => undefined);
  const coreEntry = (() => {
    try {
      return require.resolve("@studio/core/spec");
    } catch {
      return undefined;
    }
  })();
  const versions: Record<string, string> = {
    service: SERVICE_VERSION,
    node: process.versions.node,
  };
  if (ort) versions.onnxruntime = ort.version;
  const sharp = coreEntry ? packageVersion("sharp", coreEntry) : undefined;
  if (sharp) versions.sharp = sharp;
  for (const name of ["fastify", "prom-client"]) {
    const v = packageVersion(name);
    if (v) versions[name] = v;
  }
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    arch: os.arch(),
    uptimeSeconds: Math.round(process.uptime()),
    cpu: { model: cpus[0]?.model ?? "unknown", cores: cpus.length, loadAverage: os.loadavg() },
    memory: {
      totalBytes: os.totalmem(),
      freeBytes: os.freemem(),
      processRssBytes: memory.rss,
      processHeapUsedBytes: memory.heapUsed,
    },
    gpu: { cudaAvailable: await cudaUsable(), devices: gpus },
    providers: ort?.providers ?? [],
    versions,
    worker: sources.worker,
    ...(queue ? { queue } : {}),
    preview: sources.preview,
    ...(sources.storage ? { storage: sources.storage } : {}),
  };
}
