// Weight files and loaded sessions, shared by the task worker and previews: each weight is
// loaded (and warmed up) once per process and checked against its sha256 when read.
import { createHash } from "node:crypto";
import { access, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { isBlobError } from "@studio/blob/errors";
import {
  type PreparedModel,
  prepareModel,
  warmupFor,
  withSqueezeSync,
} from "@studio/core/pipeline";
import { SessionCache } from "@studio/core/runtime";
import { ModelSpec } from "@studio/core/spec";
import type { InferenceEnv } from "./env";
import type { WorkerMetrics } from "./metrics";
import type { AcquiredFile, NodeFiles } from "./node-files";

/** Real-CUGAN and CUNet: 4 stage graphs and the final one (two such weights are kept). */
const SQUEEZE_SESSIONS_PER_WEIGHT = 5;

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

/**
 * An official model of this node (DATA_DIR/official/<sha256>.onnx, or <name>.onnx named by the
 * sha256 in its <name>.json record), or null. official/ is node-local: every machine fetches and
 * verifies its official models at setup.
 */
export async function findOfficialWeightFile(
  dataDir: string,
  sha256: string,
): Promise<string | null> {
  const sha = sha256.toLowerCase();
  const officialDir = path.join(dataDir, "official");
  try {
    const direct = path.join(officialDir, `${sha}.onnx`);
    await access(direct);
    return direct;
  } catch {
    // look through the records
  }
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
  return null;
}

/** A weight's file, held until `release()`. */
export type WeightOpener = (sha256: string) => Promise<AcquiredFile>;

/**
 * The file of a weight: an official model of this node first, else weights/<sha256>.onnx from
 * the blob store (read in place locally, through this process's cache otherwise). A weight that
 * is in neither is unusable; a store that cannot be reached is not (BlobError `unavailable`
 * passes through, and the task is retried).
 */
export async function openWeightFile(files: NodeFiles, sha256: string): Promise<AcquiredFile> {
  const sha = sha256.toLowerCase();
  const official = await findOfficialWeightFile(files.dataDir, sha);
  if (official) return { key: `official/${path.basename(official)}`, path: official, release() {} };
  const key = `weights/${sha}.onnx`;
  try {
    return await files.acquire(key);
  } catch (error) {
    // The message reaches task errors and preview responses: no server paths in it.
    if (isBlobError(error, "not_found")) {
      throw new WeightUnusableError(
        `weight file for sha256 ${sha} is missing`,
        `neither ${key} in the store (${files.store.description}) nor official/ of this node`,
      );
    }
    if (isBlobError(error, "integrity")) {
      throw new WeightUnusableError(
        `weight file ${sha}.onnx does not have the sha256 its name promises`,
        error.message,
      );
    }
    throw error;
  }
}

/** How a process loads weights; plain data, so preview processes get it on their command line. */
export interface ModelSettings {
  dataDir: string;
  device: "auto" | "cpu" | "cuda";
  intraOpThreads: number;
  interOpThreads: number;
  spinWait: boolean;
  memoryArena: boolean;
  maxModels: number;
}

export function modelSettings(config: InferenceEnv): ModelSettings {
  return {
    dataDir: config.DATA_DIR,
    device: config.INFERENCE_DEVICE,
    intraOpThreads: config.ORT_INTRA_OP_THREADS,
    interOpThreads: config.ORT_INTER_OP_THREADS,
    spinWait: config.ORT_SPIN_WAIT,
    memoryArena: config.ORT_MEMORY_ARENA,
    maxModels: config.SESSION_CACHE_MAX_MODELS,
  };
}

export interface ModelStoreOptions extends ModelSettings {
  metrics?: WorkerMetrics;
  /**
   * Where weight files come from (openWeightFile with this process's NodeFiles). A preview
   * process has none: the service hands it the file with each preview that needs one.
   */
  openWeight?: WeightOpener;
}

/** A weight's bytes, checked against its sha256. */
async function readWeight(sha256: string, openWeight: WeightOpener | undefined): Promise<Buffer> {
  if (!openWeight) {
    throw new WeightUnusableError(`weight file for sha256 ${sha256} is missing`);
  }
  const weight = await openWeight(sha256);
  let bytes: Buffer;
  try {
    bytes = await readFile(weight.path);
  } finally {
    // The session is built from the bytes in memory; the file may go (or be evicted).
    weight.release();
  }
  const file = weight.path;
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== sha256.toLowerCase()) {
    throw new WeightUnusableError(
      `weight file ${path.basename(file)} has sha256 ${actual}, expected ${sha256}`,
    );
  }
  return bytes;
}

export class ModelStore {
  readonly cache: SessionCache;
  /**
   * Sessions of the squeeze-sync variants (one per global average plus the final net, about 5
   * per Real-CUGAN weight), apart from `cache` so that they do not push whole weights out.
   */
  readonly squeezeCache: SessionCache;

  constructor(private readonly options: ModelStoreOptions) {
    this.cache = new SessionCache({
      device: options.device,
      intraOpThreads: options.intraOpThreads,
      interOpThreads: options.interOpThreads,
      spinWait: options.spinWait,
      memoryArena: options.memoryArena,
      maxModels: options.maxModels,
    });
    this.squeezeCache = new SessionCache({
      device: options.device,
      intraOpThreads: options.intraOpThreads,
      interOpThreads: options.interOpThreads,
      spinWait: options.spinWait,
      memoryArena: options.memoryArena,
      maxModels: 2 * SQUEEZE_SESSIONS_PER_WEIGHT,
    });
  }

  /**
   * The session for a weight, bound to its spec (a JSON string as stored, or an object). The
   * file is opened (by `openWeight`, default the store's) only when the session is not cached.
   */
  async get(
    sha256: string,
    specSource: string | unknown,
    openWeight: WeightOpener | undefined = this.options.openWeight,
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
      load: () => readWeight(sha256, openWeight),
      // The warm-up also measures the model's working memory per pixel, for tile "auto".
      warmup: warmupFor(spec, { measureMemory: true }),
    });
    // Nets with global averages (Real-CUGAN, CUNet) also get the graphs that take the whole
    // image's averages, built from the same file when an image first needs several tiles.
    const prepared = withSqueezeSync(prepareModel(loaded, spec), {
      cache: this.squeezeCache,
      load: () => readWeight(sha256, openWeight),
    });
    return {
      ...prepared,
      loadMs: cacheHit ? 0 : loaded.loadMs + loaded.warmupMs,
      cacheHit,
    };
  }
}
