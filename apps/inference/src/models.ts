// Weight files and loaded sessions, shared by the task worker and previews: each weight is
// loaded (and warmed up) once per process and checked against its sha256 when read.
import { createHash } from "node:crypto";
import { access, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { isBlobError } from "@studio/blob/errors";
import { int8WeightKey } from "@studio/contracts/inference/int8";
import {
  type PreparedModel,
  prepareModel,
  warmupFor,
  withByteOutput,
  withSqueezeSync,
} from "@studio/core/pipeline";
import { SessionCache } from "@studio/core/runtime";
import { ModelSpec, type Precision } from "@studio/core/spec";
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

/**
 * A weight's file, held until `release()`, by session key: the weight's sha256 (its FP32 file)
 * or sessionKey(sha256, "int8") (its INT8 model).
 */
export type WeightOpener = (sessionKey: string) => Promise<AcquiredFile>;

const INT8_SUFFIX = ".int8";

/**
 * The session (and session cache) key of a weight at a precision: the sha256 for FP32, the
 * sha256 with ".int8" for its INT8 model, so both can be loaded side by side.
 */
export function sessionKey(sha256: string, precision: Precision = "fp32"): string {
  const sha = sha256.toLowerCase();
  return precision === "int8" ? `${sha}${INT8_SUFFIX}` : sha;
}

/** The precision a task's or preview's params ask for ("fp32" unless they say "int8"). */
export function precisionOf(params: unknown): Precision {
  return (params as { precision?: unknown } | null)?.precision === "int8" ? "int8" : "fp32";
}

/** The device as results and previews report it: "cpu (int8)" when the INT8 model ran. */
export function deviceLabel(device: string, params: unknown): string {
  return precisionOf(params) === "int8" ? `${device} (int8)` : device;
}

/**
 * The INT8 model of a weight, weights/<sha256>.int8.onnx in the store (POST /v1/weights/int8
 * wrote it), read like the weight itself (in place locally, through the node's cache otherwise).
 */
async function openInt8WeightFile(files: NodeFiles, sha256: string): Promise<AcquiredFile> {
  const key = int8WeightKey(sha256);
  try {
    return await files.acquire(key);
  } catch (error) {
    if (isBlobError(error, "not_found")) {
      throw new WeightUnusableError(
        `the weight ${sha256} has no INT8 model; check it for INT8 (weights.checkInt8) first`,
        `${key} is not in the store (${files.store.description})`,
      );
    }
    throw error;
  }
}

/**
 * The file of a weight: an official model of this node first, else weights/<sha256>.onnx from
 * the blob store (read in place locally, through this process's cache otherwise). A weight that
 * is in neither is unusable; a store that cannot be reached is not (BlobError `unavailable`
 * passes through, and the task is retried).
 */
export async function openWeightFile(files: NodeFiles, sha256: string): Promise<AcquiredFile> {
  // A session key of an INT8 model (see sessionKey) opens that model instead.
  if (sha256.endsWith(INT8_SUFFIX))
    return openInt8WeightFile(files, sha256.slice(0, -INT8_SUFFIX.length));
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
  // An INT8 model is derived from the weight, so its bytes have no sha256 of their own to match;
  // it was written whole (temp file and rename) by the INT8 check of this weight.
  if (sha256.endsWith(INT8_SUFFIX)) return bytes;
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== sha256.toLowerCase()) {
    throw new WeightUnusableError(
      `weight file ${path.basename(file)} has sha256 ${actual}, expected ${sha256}`,
    );
  }
  return bytes;
}

/**
 * Model files an idle worker loads again after releasing its sessions (ModelStore.renew): the
 * official super-resolution weights are 1-17 MB, and a renewed session of the 2.4 MB AnimeVideo
 * v3 left the process 6-24 MB above its resident memory before the first task (bench:memory).
 */
const RENEW_MAX_WEIGHT_BYTES = 32 * 1024 * 1024;

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
   * Releases every session of this process, the squeeze variants too, with what onnxruntime's
   * arena kept for each (a released session gives it back; the worker's malloc settings return
   * it to the system). Only while no task or preview uses them; weights load again on demand.
   */
  async release(): Promise<void> {
    await Promise.all([this.cache.clear(), this.squeezeCache.clear()]);
  }

  /**
   * release(), then the most recently used weights' sessions (up to RENEW_MAX_WEIGHT_BYTES of
   * model files) loaded again at once, without their arenas: an idle worker then holds a few MB
   * per weight instead of what its runs needed, and its next task does not wait for the weight
   * to load. Returns the session keys loaded again.
   */
  async renew(): Promise<string[]> {
    await this.squeezeCache.clear();
    return this.cache.renew(RENEW_MAX_WEIGHT_BYTES);
  }

  /**
   * The session for a weight, bound to its spec (a JSON string as stored, or an object). The
   * file is opened (by `openWeight`, default the store's) only when the session is not cached.
   * `precision` "int8" loads the weight's INT8 model instead (its own session, beside the FP32
   * one); the prepared model still names the weight's sha256, which signatures and provenance
   * are made of.
   */
  async get(
    sha256: string,
    specSource: string | unknown,
    openWeight: WeightOpener | undefined = this.options.openWeight,
    precision: Precision = "fp32",
  ): Promise<StoredModel> {
    let spec: ModelSpec;
    try {
      spec = ModelSpec.parse(typeof specSource === "string" ? JSON.parse(specSource) : specSource);
    } catch (error) {
      throw new WeightUnusableError(
        `the weight's model spec is invalid: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const key = sessionKey(sha256, precision);
    const cacheHit = this.cache.has(key);
    this.options.metrics?.sessionCache.inc({ result: cacheHit ? "hit" : "miss" });
    const loaded = await this.cache.get({
      sha256: key,
      // Super-resolution sessions also give their output as 8-bit pixels (byte-output.ts).
      load: async () => withByteOutput(await readWeight(key, openWeight), spec),
      // The warm-up also measures the model's working memory per pixel, for tile "auto".
      warmup: warmupFor(spec, { measureMemory: true }),
    });
    // Nets with global averages (Real-CUGAN, CUNet) also get the graphs that take the whole
    // image's averages, built from the same file when an image first needs several tiles.
    const prepared = withSqueezeSync(prepareModel(loaded, spec), {
      cache: this.squeezeCache,
      load: () => readWeight(key, openWeight),
    });
    return {
      ...prepared,
      weightSha256: sha256.toLowerCase(),
      loadMs: cacheHit ? 0 : loaded.loadMs + loaded.warmupMs,
      cacheHit,
      precision,
      withPrecision: (other) =>
        this.get(sha256, spec, other === precision ? openWeight : undefined, other),
    };
  }
}

/** A weight's prepared session from a ModelStore. */
export type StoredModel = PreparedModel & {
  loadMs: number;
  cacheHit: boolean;
  /** Which of the weight's models the session runs. */
  precision: Precision;
  /** The same weight at another precision (from the store's own files; cached alike). */
  withPrecision(precision: Precision): Promise<StoredModel>;
};

/**
 * The model a task's or preview's params ask for: `model` itself, or the same weight at the
 * params' precision (a task with `precision: "int8"` runs the weight's INT8 model).
 */
export async function modelForParams<M extends PreparedModel>(
  model: M & Partial<Pick<StoredModel, "precision" | "withPrecision">>,
  params: unknown,
): Promise<PreparedModel> {
  const wanted = precisionOf(params);
  if ((model.precision ?? "fp32") === wanted) return model;
  if (!model.withPrecision) {
    throw new WeightUnusableError(`no ${wanted.toUpperCase()} model of the weight is at hand`);
  }
  return model.withPrecision(wanted);
}
