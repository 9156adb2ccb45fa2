// Weight files and loaded sessions, shared by the task worker and previews: each weight is
// loaded (and warmed up) once per process and checked against its sha256 when read.
import { createHash } from "node:crypto";
import { access, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { type PreparedModel, prepareModel, warmupFor } from "@studio/core/pipeline";
import { SessionCache } from "@studio/core/runtime";
import { ModelSpec } from "@studio/core/spec";
import type { InferenceEnv } from "./env";
import type { WorkerMetrics } from "./metrics";

/** A weight that cannot be used at all (missing file, checksum, spec): retrying will not help. */
export class WeightUnusableError extends Error {
  /** Server-side detail (paths) for the log; `message` is shown to users. */
  readonly detail: string | undefined;
  constructor(message: string, detail?: string) {
    super(message);
    this.name = "WeightUnusableError";
    this.detail = detail;
  }
}

/** DATA_DIR/weights/<sha256>.onnx, or an official model (DATA_DIR/official/<name>.onnx + .json). */
export async function findWeightFile(dataDir: string, sha256: string): Promise<string> {
  const sha = sha256.toLowerCase();
  const candidates = [
    path.join(dataDir, "weights", `${sha}.onnx`),
    path.join(dataDir, "official", `${sha}.onnx`),
  ];
  for (const file of candidates) {
    try {
      await access(file);
      return file;
    } catch {
      // try the next place
    }
  }
  const officialDir = path.join(dataDir, "official");
  const entries = await readdir(officialDir).catch(() => [] as string[]);
  for (const name of entries.filter((n) => n.endsWith(".json"))) {
    try {
      const record = JSON.parse(await readFile(path.join(officialDir, name), "utf8")) as {
        sha256?: string;
        onnx?: { sha256?: string };
      };
      if (record.sha256 === sha || record.onnx?.sha256 === sha) {
        return path.join(officialDir, name.replace(/\.json$/, ".onnx"));
      }
    } catch {
      // not a record of ours
    }
  }
  // The message reaches task errors and preview responses: no server paths in it.
  throw new WeightUnusableError(
    `weight file for sha256 ${sha} is missing`,
    `looked in ${path.join(dataDir, "weights")} and ${officialDir}`,
  );
}

/** How a process loads weights; plain data, so preview processes get it on their command line. */
export interface ModelSettings {
  dataDir: string;
  device: "auto" | "cpu" | "cuda";
  intraOpThreads: number;
  interOpThreads: number;
  spinWait: boolean;
  maxModels: number;
}

export function modelSettings(config: InferenceEnv): ModelSettings {
  return {
    dataDir: config.DATA_DIR,
    device: config.INFERENCE_DEVICE,
    intraOpThreads: config.ORT_INTRA_OP_THREADS,
    interOpThreads: config.ORT_INTER_OP_THREADS,
    spinWait: config.ORT_SPIN_WAIT,
    maxModels: config.SESSION_CACHE_MAX_MODELS,
  };
}

export interface ModelStoreOptions extends ModelSettings {
  metrics?: WorkerMetrics;
}

export class ModelStore {
  readonly cache: SessionCache;

  constructor(private readonly options: ModelStoreOptions) {
    this.cache = new SessionCache({
      device: options.device,
      intraOpThreads: options.intraOpThreads,
      interOpThreads: options.interOpThreads,
      spinWait: options.spinWait,
      maxModels: options.maxModels,
    });
  }

  /** The session for a weight, bound to its spec (a JSON string as stored, or an object). */
  async get(
    sha256: string,
    specSource: string | unknown,
  ): Promise<PreparedModel & { loadMs: number; cacheHit: boolean }> {
    let spec: ModelSpec;
    try {
      spec = ModelSpec.parse(typeof specSource === "string" ? JSON.parse(specSource) : specSource);
    } catch (error) {
      throw new WeightUnusableError(
        `the weight's model spec is invalid: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const cacheHit = this.cache.has(sha256);
    this.options.metrics?.sessionCache.inc({ result: cacheHit ? "hit" : "miss" });
    const loaded = await this.cache.get({
      sha256,
      load: async () => {
        const file = await findWeightFile(this.options.dataDir, sha256);
        const bytes = await readFile(file);
        const actual = createHash("sha256").update(bytes).digest("hex");
        if (actual !== sha256.toLowerCase()) {
          throw new WeightUnusableError(
            `weight file ${path.basename(file)} has sha256 ${actual}, expected ${sha256}`,
          );
        }
        return bytes;
      },
      warmup: warmupFor(spec),
    });
    return {
      ...prepareModel(loaded, spec),
      loadMs: cacheHit ? 0 : loaded.loadMs + loaded.warmupMs,
      cacheHit,
    };
  }
}
