// Runs previews in a few long-lived child processes (child.ts) instead of on the HTTP event
// loop. Each process keeps the sessions of the weights it has run, so a preview goes to an idle
// process that last previewed the same image with the same weight (its model output cache then
// spares the model run), else to one that holds the weight's session. A run that reaches its
// deadline is stopped by killing its process (a native session.run cannot be interrupted any
// other way); the next preview gets a fresh one.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { PreviewResponse } from "@studio/contracts/inference/preview";
import { toBase64 } from "@studio/core/image";
import type { Logger } from "../logger";
import { applyMetricMessage, type Metrics } from "../metrics";
import { precisionOf, sessionKey } from "../models";
import { TSX_EXEC_ARGV } from "../tsx";
import { WORKER_MALLOC_ENV } from "../worker/supervisor";
import {
  type FromPreviewProcess,
  fromWireError,
  type PreviewAnswer,
  type PreviewJob,
  type PreviewProcessSettings,
  type ToPreviewProcess,
} from "./messages";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

/**
 * The worker's malloc settings with a higher mmap threshold: a slider change's own buffers (the
 * cached output's copy, the crop, PNG strips, the answer; up to 3.7 MB each for a 256 px crop)
 * come from the heap again and again. At the worker's 128 KB each was mapped afresh, faulted in
 * page by page and unmapped, 2,700 faults a preview: 30-40 ms of a 60 ms slider change's CPU on
 * this VM. Sessions' feature maps and arenas stay mapped on their own and go back to the system
 * when released; up to the trim threshold of freed heap stays for the next preview (idle after
 * release: 268 instead of 251 MB, after 512 and 256 px previews of AnimeVideo v3 x4).
 */
const PREVIEW_MALLOC_ENV = {
  ...WORKER_MALLOC_ENV,
  MALLOC_MMAP_THRESHOLD_: String(4 * 1024 ** 2),
  MALLOC_TRIM_THRESHOLD_: String(16 * 1024 ** 2),
};

type Reply = Extract<FromPreviewProcess, { type: "result" | "error" }>;

/** Opens a weight's file by session key (models.ts sessionKey) for a process without that session. */
export type PreviewWeightOpener = (key: string) => Promise<{ path: string; release(): void }>;

export interface RunSignals {
  /** Cooperative: the process stops at the next tile and stays (the client went away). */
  cancel?: AbortSignal;
  /** The deadline: the process is killed at once; the run rejects with this signal's reason. */
  kill?: AbortSignal;
}

/** The HTTP answer of a preview process's answer: its PNGs as base64. */
function toResponse({ png, probabilityPng, ...answer }: PreviewAnswer): PreviewResponse {
  return {
    ...answer,
    pngBase64: toBase64(png),
    ...(probabilityPng ? { probabilityPngBase64: toBase64(probabilityPng) } : {}),
  };
}

/** How many recent (weight, image) pairs a process remembers for routing. */
const RECENT_PREVIEWS = 16;

const recentKey = (job: PreviewJob) => `${job.weightSha256.toLowerCase()}:${job.imageSha256}`;

class PreviewProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** Weights whose sessions the process holds, as it reported after its last preview. */
  cached = new Set<string>();
  /**
   * Weight and image of its latest previews, newest last: the process likely holds their
   * model output (its output cache), so a preview with only other tuning is answered at once.
   */
  readonly recent: string[] = [];
  busy = false;
  becameReady = false;
  killedAtDeadline = false;
  private readonly ready: Promise<void>;
  private exitReason: string | undefined;
  private pending: { id: number; settle: (reply: Reply | undefined) => void } | undefined;
  private nextId = 1;
  /** Sessions are released after this long without a preview (0: kept). */
  idleReleaseMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    settings: PreviewProcessSettings,
    hooks: {
      onMetric: (message: Extract<FromPreviewProcess, { type: "metric" }>) => void;
      onExit: (process: PreviewProcess, reason: string) => void;
    },
  ) {
    this.child = fork(CHILD, [JSON.stringify(settings)], {
      execArgv: [...TSX_EXEC_ARGV],
      // Structured clone: a preview's PNG crosses as bytes (messages.ts PreviewAnswer).
      serialization: "advanced",
      env: { ...PREVIEW_MALLOC_ENV, ...process.env, NODE_OPTIONS: "" },
      // Native crash messages end up in the service's console.
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let markReady = () => {};
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    let markExited = () => {};
    this.exited = new Promise((resolve) => {
      markExited = resolve;
    });
    const stopped = (reason: string) => {
      if (this.exitReason !== undefined) return;
      this.exitReason = reason;
      hooks.onExit(this, reason);
      this.pending?.settle(undefined);
      markReady();
      markExited();
    };
    this.child.on("message", (message: FromPreviewProcess) => {
      if (message.type === "ready") {
        this.becameReady = true;
        markReady();
      } else if (message.type === "metric") hooks.onMetric(message);
      else if (message.id === this.pending?.id) {
        this.cached = new Set(message.cached);
        this.pending.settle(message);
      }
    });
    this.child.once("exit", (code, signal) => stopped(signal ?? `exit code ${code}`));
    this.child.on("error", (error) => {
      // Without a pid the process never started and no exit event follows.
      if (this.child.pid === undefined) stopped(error.message);
      else this.child.kill("SIGKILL");
    });
  }

  get alive(): boolean {
    return this.exitReason === undefined;
  }

  async run(
    job: PreviewJob,
    { cancel, kill }: RunSignals,
    openWeight?: PreviewWeightOpener,
  ): Promise<PreviewResponse> {
    kill?.throwIfAborted();
    cancel?.throwIfAborted();
    if (!this.alive) throw new Error(`the preview process has stopped (${this.exitReason})`);
    this.busy = true;
    clearTimeout(this.idleTimer);
    const seen = recentKey(job);
    this.recent.splice(0, this.recent.length, ...this.recent.filter((k) => k !== seen), seen);
    if (this.recent.length > RECENT_PREVIEWS) this.recent.shift();
    const id = this.nextId++;
    const reply = new Promise<Reply | undefined>((settle) => {
      this.pending = { id, settle };
    });
    const onKill = () => {
      this.killedAtDeadline = true;
      this.child.kill("SIGKILL");
    };
    const onCancel = () => this.send({ type: "cancel", id });
    kill?.addEventListener("abort", onKill, { once: true });
    cancel?.addEventListener("abort", onCancel, { once: true });
    let weight: { path: string; release(): void } | undefined;
    try {
      // Only a process without the session needs the file (busy already: the set is current).
      // By session key: an INT8 preview needs the weight's INT8 model (see models.ts).
      const key = sessionKey(job.weightSha256, precisionOf(job.params));
      if (openWeight && !this.cached.has(key)) weight = await openWeight(key);
      await this.ready;
      cancel?.throwIfAborted();
      const sent = weight ? { ...job, weightFile: weight.path } : job;
      if (this.alive) this.send({ type: "run", id, job: sent });
      // Settles with the answer, or with nothing once the process has exited.
      const message = await reply;
      if (!message) {
        throw kill?.aborted
          ? kill.reason
          : new Error(`the preview process stopped (${this.exitReason}) during the preview`);
      }
      if (message.type === "error") throw fromWireError(message.error);
      return toResponse(message.answer);
    } finally {
      weight?.release();
      kill?.removeEventListener("abort", onKill);
      cancel?.removeEventListener("abort", onCancel);
      this.pending = undefined;
      this.busy = false;
      this.releaseWhenIdle();
    }
  }

  /**
   * Memory back when previews stop: onnxruntime's arena keeps what the largest preview needed
   * for the session's life. After `idleReleaseMs` without a preview the process is told to
   * release its sessions; the set of weights it holds is emptied first, so the next preview
   * brings the weight's file (messages arrive in order; none is sent while a preview runs).
   */
  private releaseWhenIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.idleReleaseMs <= 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.busy || !this.alive || this.cached.size === 0) return;
      this.cached = new Set();
      this.send({ type: "release" });
    }, this.idleReleaseMs);
    this.idleTimer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    if (this.alive) this.child.kill("SIGKILL");
    await this.exited;
  }

  private send(message: ToPreviewProcess): void {
    // A send to a process that just died fails; its exit event settles the run.
    if (this.child.connected) this.child.send(message, () => {});
  }
}

export class PreviewPool {
  private readonly processes = new Set<PreviewProcess>();
  private closed = false;

  constructor(
    private readonly options: {
      /** Processes at most: the number of previews allowed at once. */
      size: number;
      settings: PreviewProcessSettings;
      logger: Logger;
      metrics?: Metrics;
      /** A process releases its sessions after this long without a preview (0: kept). */
      idleReleaseMs?: number;
    },
  ) {}

  get pids(): number[] {
    return [...this.processes].flatMap((p) => (p.child.pid === undefined ? [] : [p.child.pid]));
  }

  /** sha256 of the weights some preview process holds a session of. */
  get cachedWeights(): string[] {
    return [...new Set([...this.processes].flatMap((p) => [...p.cached]))];
  }

  /** Starts a process ahead of the first preview, so that preview does not wait for it. */
  warm(): void {
    if (!this.closed && this.processes.size === 0) this.start();
  }

  /**
   * One preview in an idle process (the caller's limiter keeps the number at once within
   * `size`). Settles only once the computation has stopped: at the deadline that is when the
   * killed process has exited.
   */
  async run(
    job: PreviewJob,
    signals: RunSignals = {},
    openWeight?: PreviewWeightOpener,
  ): Promise<PreviewResponse> {
    if (this.closed) throw new Error("the preview pool is closed");
    const idle = [...this.processes].filter((p) => !p.busy);
    const sha = job.weightSha256.toLowerCase();
    const key = recentKey(job);
    const chosen =
      idle.find((p) => p.recent.includes(key)) ??
      idle.find((p) => p.cached.has(sha)) ??
      idle[0] ??
      (this.processes.size < this.options.size ? this.start() : undefined);
    if (!chosen) throw new Error(`all ${this.options.size} preview processes are busy`);
    return chosen.run(job, signals, openWeight);
  }

  /** Kills every process (they hold nothing but caches) and waits until they are gone. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.processes].map((p) => p.stop()));
  }

  private start(): PreviewProcess {
    const { logger, metrics } = this.options;
    const started = new PreviewProcess(this.options.settings, {
      onMetric: (message) => {
        if (metrics) applyMetricMessage(metrics, message);
      },
      onExit: (gone, reason) => {
        this.processes.delete(gone);
        if (this.closed) return;
        // Not "pid": pino already puts the service's own pid on every line.
        const childPid = gone.child.pid;
        if (gone.killedAtDeadline) {
          logger.warn({ childPid }, "preview process killed at the time limit");
        } else logger.error({ childPid, reason }, "preview process exited");
        // One that could not even start would only fail again; the next preview retries.
        if (gone.becameReady) this.warm();
      },
    });
    started.idleReleaseMs = this.options.idleReleaseMs ?? 0;
    this.processes.add(started);
    logger.info({ childPid: started.child.pid }, "preview process started");
    return started;
  }
}
