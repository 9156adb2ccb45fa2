// Keeps the leases of running tasks alive. A model run blocks the worker's JavaScript thread
// for the whole of one tile (onnxruntime-node's `run` is synchronous: measured, a 100 ms timer
// fired 0 times during a 5.8 s run of Real-ESRGAN x4plus), so a heartbeat timer on that thread
// would let the lease of any tile longer than the lease expire. The heartbeats therefore run on
// a worker thread with its own store connection (lease-thread.ts); the task's thread is told
// the answers (lease lost, cancel requested) when it is free again, which is between tiles,
// where it acts on them anyway.

import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Db } from "@studio/db/client";
import { heartbeat } from "@studio/db/queue";

export interface LeaseState {
  held: boolean;
  cancelRequested: boolean;
}

export interface KeepLease {
  taskId: string;
  workerId: string;
  leaseMs: number;
  /** How often the lease is renewed (a fraction of leaseMs). */
  intervalMs: number;
}

export interface LeaseListener {
  state(state: LeaseState): void;
  error(message: string): void;
}

export interface LeaseKeeper {
  /** Renews the lease until `release()` (or until the store says it is not held). */
  keep(lease: KeepLease, listener: LeaseListener): { release(): void };
  /** Resolves when leases handed over from now on are renewed on time. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The longest the worker's thread may stay silent (one model run) before the lease thread
 * takes it for hung and lets the lease go. Far above any tile the auto size plans (a SwinIR-M
 * tile of 128 px took ~50 s on 2 busy cores); a run that takes longer is lost to the lease.
 */
export const MAX_SILENCE_MS = 30 * 60_000;

/** How long a worker waits for its lease thread before it claims tasks anyway. */
const READY_TIMEOUT_MS = 30_000;

/** tsx's API (`tsImport`): the thread runs this package's TypeScript like the service does. */
const TSX_API = pathToFileURL(
  createRequire(import.meta.url)
    .resolve("tsx/esm/api")
    // require() resolves to the CommonJS build, which cannot register tsx's hooks from a thread.
    .replace(/\.cjs$/, ".mjs"),
).href;

/** What lease-thread.ts is started with. */
export interface LeaseThreadData {
  databaseUrl: string;
  maxSilenceMs: number;
  /** The Worker row renewed with the leases, so the status panel sees the process alive. */
  worker?: { id: string; everyMs: number };
}

export type ToLeaseThread =
  | ({ type: "keep" } & KeepLease)
  | { type: "drop"; taskId: string }
  | { type: "ping" }
  | { type: "close" };

type FromLeaseThread =
  | ({ type: "state"; taskId: string } & LeaseState)
  | { type: "error"; taskId: string; message: string }
  | { type: "abandoned"; taskId: string }
  | { type: "ready" }
  | { type: "closed" };

/** Heartbeats on this thread's timers: for stores without a URL (and as the thread's fallback). */
export class TimerLeaseKeeper implements LeaseKeeper {
  constructor(private readonly db: Db) {}

  keep(lease: KeepLease, listener: LeaseListener) {
    const timer = setInterval(async () => {
      try {
        listener.state(await heartbeat(this.db, lease));
      } catch (error) {
        listener.error(error instanceof Error ? error.message : String(error));
      }
    }, lease.intervalMs);
    return { release: () => clearInterval(timer) };
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Heartbeats from a worker thread of their own, with a store client of their own. */
export class ThreadLeaseKeeper implements LeaseKeeper {
  private readonly thread: Worker;
  private readonly listeners = new Map<string, { lease: KeepLease; listener: LeaseListener }>();
  private readonly pinger: NodeJS.Timeout;
  /** Set when the thread died: its leases (and later ones) are kept by timers here. */
  private fallback:
    | { keeper: TimerLeaseKeeper; kept: Map<string, { release(): void }> }
    | undefined;
  private closed = false;
  private readonly started: Promise<void>;

  constructor(
    databaseUrl: string,
    private readonly db: Db,
    private readonly onThreadError: (error: unknown) => void = () => {},
    opts: { maxSilenceMs?: number; worker?: { id: string; everyMs: number } } = {},
  ) {
    const data: LeaseThreadData = {
      databaseUrl,
      maxSilenceMs: opts.maxSilenceMs ?? MAX_SILENCE_MS,
      ...(opts.worker ? { worker: opts.worker } : {}),
    };
    // Node 20 does not hand `--import tsx` on to worker threads: the thread loads tsx's API
    // itself and imports the TypeScript entry through it.
    const entry = new URL("./lease-thread.ts", import.meta.url).href;
    const boot = `import(${JSON.stringify(TSX_API)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
    this.thread = new Worker(boot, { eval: true, workerData: data });
    this.started = new Promise<void>((resolve) => {
      const onReady = (msg: FromLeaseThread) => {
        if (msg.type !== "ready") return;
        this.thread.off("message", onReady);
        resolve();
      };
      this.thread.on("message", onReady);
      // A thread that fails to start hands its leases to timers here (fallBack): go on. One
      // that cannot reach the store yet must not hold the worker back for good either: leases
      // handed over meanwhile wait in its queue.
      this.thread.once("exit", () => resolve());
      setTimeout(resolve, READY_TIMEOUT_MS).unref();
    });
    // The thread never keeps the process alive on its own: the worker's stop closes it.
    this.thread.unref();
    this.thread.on("message", (msg: FromLeaseThread) => this.onMessage(msg));
    this.thread.on("error", (error) => this.fallBack(error));
    this.thread.on("exit", (code) => {
      if (!this.closed) this.fallBack(new Error(`lease thread exited with code ${code}`));
    });
    // Tells the thread this one is alive (timers here run whenever no tile is running).
    this.pinger = setInterval(() => this.post({ type: "ping" }), 1000);
    this.pinger.unref();
  }

  keep(lease: KeepLease, listener: LeaseListener) {
    this.listeners.set(lease.taskId, { lease, listener });
    if (this.fallback)
      this.fallback.kept.set(lease.taskId, this.fallback.keeper.keep(lease, listener));
    else this.post({ type: "keep", ...lease });
    return { release: () => this.release(lease.taskId) };
  }

  private release(taskId: string): void {
    this.listeners.delete(taskId);
    this.fallback?.kept.get(taskId)?.release();
    this.fallback?.kept.delete(taskId);
    if (!this.fallback) this.post({ type: "drop", taskId });
  }

  ready(): Promise<void> {
    return this.started;
  }

  private onMessage(msg: FromLeaseThread): void {
    if (msg.type === "closed" || msg.type === "ready") return;
    const entry = this.listeners.get(msg.taskId);
    if (!entry) return;
    if (msg.type === "state")
      entry.listener.state({ held: msg.held, cancelRequested: msg.cancelRequested });
    else if (msg.type === "error") entry.listener.error(msg.message);
    else entry.listener.state({ held: false, cancelRequested: false });
  }

  private post(msg: ToLeaseThread): void {
    if (!this.fallback && !this.closed) this.thread.postMessage(msg);
  }

  private fallBack(error: unknown): void {
    if (this.fallback || this.closed) return;
    this.onThreadError(error);
    this.fallback = { keeper: new TimerLeaseKeeper(this.db), kept: new Map() };
    for (const [taskId, { lease, listener }] of this.listeners) {
      this.fallback.kept.set(taskId, this.fallback.keeper.keep(lease, listener));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.pinger);
    for (const taskId of [...this.listeners.keys()]) this.release(taskId);
    if (this.fallback) {
      this.closed = true;
      await this.thread.terminate();
      return;
    }
    const closed = new Promise<void>((resolve) => {
      this.thread.once("exit", () => resolve());
      this.thread.on("message", (msg: FromLeaseThread) => {
        if (msg.type === "closed") resolve();
      });
    });
    this.thread.postMessage({ type: "close" } satisfies ToLeaseThread);
    this.closed = true;
    await closed;
    await this.thread.terminate();
  }
}
