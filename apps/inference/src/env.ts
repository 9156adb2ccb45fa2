import os from "node:os";
import { type BlobStoreConfig, loadBlobEnv } from "@studio/blob/env";
import { booleanFlag, createEnv, sharedEnv } from "@studio/contracts/env";
import { resolveDatabaseUrl, resolveDataDir } from "@studio/db/env";
import { z } from "zod";

const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

const bool = booleanFlag();
const int = (min: number) => z.coerce.number().int().min(min);

const shape = {
  NODE_ENV: sharedEnv.NODE_ENV,
  LOG_LEVEL: sharedEnv.LOG_LEVEL,
  DATA_DIR: sharedEnv.DATA_DIR,
  DATABASE_URL: sharedEnv.DATABASE_URL,
  INFERENCE_HOST: z.string().min(1).default("127.0.0.1"),
  INFERENCE_PORT: int(0).max(65535).default(4010),
  /** Shared secret with the web app; required in production, optional in development. */
  INFERENCE_TOKEN: sharedEnv.INFERENCE_TOKEN,
  /**
   * Where other machines reach this node (registered in the store for the web app to route
   * previews, validations and conversions). Default: http://INFERENCE_HOST:port, with this
   * machine's host name when listening on every interface.
   */
  INFERENCE_PUBLIC_URL: z.url().optional(),
  /** Stable node id in the registry (default hostname:port), so a restarted node rejoins. */
  NODE_ID: z.string().min(1).max(200).optional(),
  /** How often the node tells the registry it is alive, how busy, with which weights. */
  NODE_HEARTBEAT_MS: int(100).default(2_000),

  /** Tasks one process runs at once. One per two cores keeps ORT's own threads busy. */
  WORKER_ENABLED: bool.default(true),
  /**
   * "process": the worker runs in a child process (default; onnxruntime blocks the event loop
   * while a model runs, so the HTTP API stays responsive only apart from it). "inline": same
   * process, for tests and tiny deployments.
   */
  WORKER_MODE: z.enum(["process", "inline"]).default("process"),
  WORKER_CONCURRENCY: int(1).default(Math.max(1, Math.floor(cores / 2))),
  /** onnxruntime intra-op threads per session; by default the cores are split among workers. */
  ORT_INTRA_OP_THREADS: int(0).optional(),
  ORT_INTER_OP_THREADS: int(0).default(1),
  /**
   * Let onnxruntime's threads spin-wait between runs. Off by default: a spinning thread holds a
   * core that decoding, tuning, PNG compression and the other processes need.
   */
  ORT_SPIN_WAIT: bool.default(false),
  /**
   * onnxruntime's CPU memory arena. On by default: without it every tile allocates afresh and the
   * default task ran 1.25-1.8x slower here. The arena keeps what a session's largest run needed
   * until the session is released (SESSION_IDLE_RELEASE_MS); off, memory goes back after every
   * run, and the peak is lower (`bench:memory` prints both).
   */
  ORT_MEMORY_ARENA: bool.default(true),
  /**
   * The task worker releases its sessions (and the memory onnxruntime's arena kept for its
   * largest run) after this long without a task, and loads the most recently used weights again
   * at once, without an arena (ModelStore.renew), so the next task does not wait for them. 0
   * keeps them loaded.
   */
  SESSION_IDLE_RELEASE_MS: int(0).default(2_000),
  WORKER_LEASE_MS: int(1000).default(30_000),
  WORKER_POLL_MS: int(10).default(500),
  /** Progress rows are written at most this often per task. */
  WORKER_PROGRESS_MS: int(0).default(300),
  /** SIGTERM: how long a running task may take to finish before it is released. */
  WORKER_DRAIN_MS: int(0).default(20_000),
  /** How often a running task looks for a cancel request (it stops at the next tile). */
  WORKER_CANCEL_POLL_MS: int(10).default(500),
  /** First back-off after a failed or reclaimed attempt; doubles per attempt. */
  WORKER_RETRY_BASE_MS: int(0).default(10_000),
  /** Stable worker id (defaults to hostname:pid:random). */
  WORKER_ID: z.string().min(1).optional(),
  /** Execution provider choice; "auto" uses CUDA when installed and falls back to CPU. */
  INFERENCE_DEVICE: z.enum(["auto", "cpu", "cuda"]).default("auto"),
  SESSION_CACHE_MAX_MODELS: int(1).default(4),
  /** Largest decoded image a task or preview accepts, in pixels. */
  MAX_IMAGE_PIXELS: int(1).default(100_000_000),

  /** Previews at once (more get 429); also the most preview processes kept, each with its own sessions. */
  PREVIEW_MAX_CONCURRENT: int(1).default(2),
  /** Largest crop side and crop area a preview accepts. */
  PREVIEW_MAX_SIDE: int(16).default(1024),
  PREVIEW_MAX_PIXELS: int(256).default(512 * 512),
  PREVIEW_TIMEOUT_MS: int(100).default(20_000),
  /**
   * Per preview process: the model's output of recent super-resolution crops, kept so that a
   * preview that only changes the tuning does not run the model (least recently used go first).
   */
  PREVIEW_OUTPUT_CACHE_MB: int(0).default(256),
  /**
   * Per preview process: recent source images, decoded, so that the next preview of an image
   * neither reads nor decodes its file again (a 1024 px RGB photo holds 3 MiB; an image larger
   * than this is decoded for every preview). 0: none.
   */
  PREVIEW_IMAGE_CACHE_MB: int(0).default(128),
  /**
   * A preview process releases its sessions (and what onnxruntime's arena kept for its largest
   * preview) after this long without a preview; the model output cache stays. 0 keeps them.
   */
  PREVIEW_SESSION_IDLE_RELEASE_MS: int(0).default(60_000),

  VALIDATE_TIMEOUT_MS: int(100).default(60_000),
  VALIDATE_MAX_MEMORY_MB: int(64).default(2048),
  /** A reference run slower than this rejects the weight as "too slow". */
  VALIDATE_MAX_RUN_MS: int(10).default(30_000),
  VALIDATE_MAX_CONCURRENT: int(1).default(1),

  /**
   * State_dict / NCNN -> ONNX conversion: each runs in its own process. A 31M-parameter U-Net
   * (124 MB of float32) takes about 2 s and peaks near 600 MB: the file, its float32 weights
   * and the ONNX bytes are in memory at once.
   */
  CONVERT_TIMEOUT_MS: int(100).default(120_000),
  CONVERT_MAX_MEMORY_MB: int(64).default(2048),
  CONVERT_MAX_CONCURRENT: int(1).default(1),

  /**
   * INT8 check (POST /v1/weights/int8): a child process quantises the weight, runs FP32 and INT8
   * on the calibration images and times both; the model, its INT8 copy and their sessions are in
   * memory at once. One at a time: a second would skew the other's speed measurement.
   */
  INT8_TIMEOUT_MS: int(1000).default(300_000),
  INT8_MAX_MEMORY_MB: int(64).default(4096),

  /**
   * The blob store (where uploads, weights and results live) comes from @studio/blob/env:
   * BLOB_STORE=local (default: the files under DATA_DIR, as always) or BLOB_STORE=s3 with
   * S3_BUCKET, S3_ENDPOINT, S3_REGION, S3_FORCE_PATH_STYLE, S3_ACCESS_KEY_ID,
   * S3_SECRET_ACCESS_KEY, S3_PREFIX, S3_TIMEOUT_MS, S3_MAX_ATTEMPTS, S3_PART_SIZE_MB (see
   * packages/blob/README.md). With a remote store each process of this node keeps the objects it
   * reads (weights, input images) in its own folder DATA_DIR/cache/blobs/<process>, within this
   * budget in MiB (least recently used out first); unused with BLOB_STORE=local.
   */
  BLOB_CACHE_MB: int(0).default(4096),

  CLEANUP_ENABLED: bool.default(true),
  CLEANUP_INTERVAL_MS: int(1000).default(60 * 60 * 1000),
  CLEANUP_MAX_AGE_MS: int(0).default(24 * 60 * 60 * 1000),

  LOG_TO_FILE: bool.default(true),
  /** Size at which a log file is rotated (pino-roll syntax: 10m, 500k, 1g). */
  LOG_FILE_SIZE: z
    .string()
    .regex(/^\d+[kmg]?$/i)
    .default("10m"),
  LOG_FILE_COUNT: int(1).default(10),
  /** Base name of the log files; give each process its own when several share a DATA_DIR. */
  LOG_FILE_NAME: z
    .string()
    .regex(/^[\w.-]+$/)
    .default("inference"),

  /** Largest JSON body the HTTP API accepts (previews carry no image bytes). */
  BODY_LIMIT_BYTES: int(1024).default(1024 * 1024),

  /**
   * Tests only (ignored unless NODE_ENV=test): a directory through which a test holds a
   * validation or conversion process at a named point (isolated/hold.ts), so it can stop the
   * work at that exact moment instead of guessing how long the work takes on this machine.
   */
  INFERENCE_TEST_HOLD_DIR: z.string().min(1).optional(),
};

export type InferenceEnv = Omit<
  z.output<z.ZodObject<typeof shape>>,
  "DATA_DIR" | "DATABASE_URL"
> & {
  DATA_DIR: string;
  DATABASE_URL: string;
  ORT_INTRA_OP_THREADS: number;
  /** Where bytes live (BLOB_STORE and S3_* variables, read by @studio/blob/env). */
  BLOB: BlobStoreConfig;
};

/** Validates a process environment (or a test's object) into the service configuration. */
export function parseEnv(source: Record<string, string | undefined>): InferenceEnv {
  const parsed = createEnv("@studio/inference", shape, source);
  if (parsed.NODE_ENV === "production" && !parsed.INFERENCE_TOKEN) {
    throw new Error("INFERENCE_TOKEN is required in production");
  }
  // Resolved exactly as @studio/db resolves them, so web and inference open the same files.
  const dataDir = resolveDataDir(parsed.DATA_DIR);
  return {
    ...parsed,
    DATA_DIR: dataDir,
    DATABASE_URL: resolveDatabaseUrl(parsed.DATABASE_URL, dataDir),
    BLOB: loadBlobEnv(source),
    ORT_INTRA_OP_THREADS:
      parsed.ORT_INTRA_OP_THREADS ?? Math.max(1, Math.floor(cores / parsed.WORKER_CONCURRENCY)),
    INFERENCE_TEST_HOLD_DIR:
      parsed.NODE_ENV === "test" ? parsed.INFERENCE_TEST_HOLD_DIR : undefined,
  };
}

/**
 * What a test run sets for every process (`npm test -- --ort-threads=1`) that a test's own
 * service configuration, built from an object rather than process.env, should still honour.
 */
export function testRunSettings(): Record<string, string> {
  const threads = process.env.ORT_INTRA_OP_THREADS;
  return threads ? { ORT_INTRA_OP_THREADS: threads } : {};
}

let cached: InferenceEnv | undefined;

/** The service's validated environment, read once. */
export function env(): InferenceEnv {
  cached ??= parseEnv(process.env);
  return cached;
}
