// Runs the task worker (worker/main.ts) as a child process of the service and restarts it if
// it dies; relays its metrics into the service's registry. See worker/main.ts for why.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Logger } from "../logger";
import { applyMetricMessage, type MetricMessage, type Metrics } from "../metrics";
import { TSX_EXEC_ARGV } from "../tsx";

const WORKER_MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/**
 * glibc malloc settings of the worker process (an administrator's own values win). With a fixed
 * mmap threshold every block of 128 KB or more is mapped on its own and unmapped when freed;
 * by default glibc raises the threshold after each large free (up to 32 MB), so the feature
 * maps of later model runs come from heaps it keeps. Measured for the default task of
 * Real-ESRGAN AnimeVideo v3 x4 at 1024 px (9 tiles of 512, no onnxruntime arena), resident
 * after the task over idle: 153 and 375 MB without it, 5-66 MB with it (2048 px: 334 -> 278 MB);
 * the time differed by less than this shared machine's noise.
 *
 * `glibc.malloc.hugetlb=1` (glibc 2.35+) asks for transparent huge pages on what malloc maps, where
 * the kernel offers them on request (`/sys/kernel/mm/transparent_hugepage/enabled` = madvise, the
 * common default): a model's feature maps are hundreds of MB touched afresh by every run, and 2 MB
 * pages take a 512th of the page faults. Bare `session.run` of Real-ESRGAN AnimeVideo v3 x4 at
 * 1024 px on 2 cores, fresh session / second run, alternating: 4.2-5.8 / 5.0-5.5 s with it,
 * 7.2-7.4 / 6.7-6.8 s without. Other C libraries ignore both.
 */
export const WORKER_MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: "131072",
  GLIBC_TUNABLES: "glibc.malloc.hugetlb=1",
} as const;

/** What the worker process reports whenever its running count changes. */
export interface WorkerStateMessage {
  type: "running";
  count: number;
  /** sha256s of the weights it holds loaded. */
  weights: readonly string[];
}

export class WorkerSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private running = 0;
  private weights: readonly string[] = [];
  private restartDelayMs = 1000;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { logger: Logger; metrics: Metrics; env?: NodeJS.ProcessEnv },
  ) {}

  get runningCount(): number {
    return this.running;
  }

  /** The weights the worker process holds loaded, as of its last report. */
  get loadedWeights(): readonly string[] {
    return this.weights;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopping) return;
    const startedAt = Date.now();
    const child = spawn(process.execPath, [...TSX_EXEC_ARGV, WORKER_MAIN], {
      // The worker logs to the same console as the service.
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...WORKER_MALLOC_ENV, ...(this.deps.env ?? process.env), NODE_OPTIONS: "" },
    });
    this.child = child;
    child.on("message", (message: MetricMessage | WorkerStateMessage) => {
      if (message?.type === "metric") applyMetricMessage(this.deps.metrics, message);
      else if (message?.type === "running") {
        this.running = message.count;
        this.weights = message.weights;
      }
    });
    child.once("exit", (code, signal) => {
      this.running = 0;
      this.weights = [];
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      // A worker that ran for a while gets restarted at once; one that keeps dying, slower.
      this.restartDelayMs =
        Date.now() - startedAt > 60_000 ? 1000 : Math.min(30_000, this.restartDelayMs * 2);
      this.deps.logger.error(
        { code, signal, restartInMs: this.restartDelayMs },
        "worker process exited; restarting",
      );
      this.restartTimer = setTimeout(() => this.start(), this.restartDelayMs);
    });
    this.deps.logger.info({ pid: child.pid }, "worker process started");
  }

  /** SIGTERM to the worker (it drains for WORKER_DRAIN_MS), then waits; SIGKILL after `waitMs`. */
  async stop(waitMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), waitMs);
    await exited;
    clearTimeout(timer);
  }
}
