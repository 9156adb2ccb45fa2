// Runs one job in a fresh child process under a memory cap and a time limit. Weight validation
// and weight conversion both feed untrusted files (ONNX graphs, pickles, NCNN blobs) to code
// whose time and memory depend on the file, so a hostile or huge upload may only take down its
// own process, never the service's event loop. The child's half of the protocol is serve.ts.
import { type ChildProcessByStdio, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { promisify } from "node:util";
import { HttpError } from "../http/errors";
import { TSX_EXEC_ARGV } from "../tsx";
import { holdArgs } from "./hold";
import { type ChildMessage, isOutOfMemory } from "./serve";

const execFileAsync = promisify(execFile);

export interface IsolationLimits {
  /** Wall-clock limit for the whole child, start-up included. */
  timeoutMs: number;
  /** Resident memory the child may add after start-up; also its extra address space. */
  maxMemoryMb: number;
}

export interface IsolatedRun<Result> {
  /** What the child answered; absent when it died or was killed first. */
  result?: Result;
  /** Why the parent killed the child, if it did. */
  killedFor?: "time" | "memory" | "canceled";
  /** Killed by the memory watchdog, or the child's last words say memory ran out. */
  outOfMemory: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The child's own error message, else the last line it wrote to stderr (for the log). */
  lastError: string;
  peakRssBytes: number;
}

/** Resident and virtual size of a process in bytes, from /proc (Linux); undefined elsewhere. */
async function memoryOf(pid: number): Promise<{ rss: number; vsize: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), vsize: kb("VmSize") };
  } catch {
    return undefined;
  }
}

/** The child needs no secrets: only what node and the TypeScript loader use. */
function childEnv(): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "TEMP", "TMP", "LANG", "NODE_ENV", "SYSTEMROOT"];
  return Object.fromEntries(
    keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]),
  ) as NodeJS.ProcessEnv;
}

/**
 * Loaded into every child before its script. The child's life is the service's to decide: a stop
 * signal sent to the whole process group (Ctrl-C in a terminal, systemd stopping the unit) must
 * not kill it behind the service's back, where a validation would read as "the model crashed";
 * the service kills it at shutdown (stopIsolatedRuns). Its IPC channel closes when the service
 * dies, even by SIGKILL, and then the child goes too.
 */
const PARENT_WATCH = `data:text/javascript,${encodeURIComponent(
  'process.on("disconnect",()=>process.exit(1));for(const s of ["SIGINT","SIGTERM"])process.on(s,()=>{});',
)}`;

/** Kills the child of every run in progress; set by runIsolated while its child lives. */
const liveRuns = new Set<() => void>();
let stopping = false;

/** The answer to a run that the stopping service ended (the caller may retry elsewhere). */
const serviceStopping = () =>
  new HttpError(503, "unavailable", "the inference service is stopping; try again shortly");

/**
 * Service shutdown: kills every isolated child at once (validations and conversions are
 * stopped, not waited for); their runs, and any started later, throw a 503 HttpError.
 */
export function stopIsolatedRuns(): void {
  stopping = true;
  for (const stop of liveRuns) stop();
}

const hasPrlimit = existsSync("/usr/bin/prlimit") || existsSync("/bin/prlimit");

/**
 * Caps the child's address space at what it has reserved so far plus the allowance. Done
 * after start-up because the JS runtime reserves large virtual ranges (WebAssembly guard
 * regions) that it never touches; from here on an allocation beyond the allowance fails
 * inside the child (onnxruntime, an ArrayBuffer) instead of growing.
 */
async function capAddressSpace(pid: number, allowanceBytes: number): Promise<boolean> {
  if (!hasPrlimit) return false;
  const mem = await memoryOf(pid);
  if (!mem || !Number.isFinite(mem.vsize)) return false;
  const limit = Math.round(mem.vsize + allowanceBytes);
  try {
    await execFileAsync("prlimit", [`--pid=${pid}`, `--as=${limit}:${limit}`], { timeout: 2000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `script` (a module that calls serveOneJob) in a child process with a V8 heap cap, an
 * address-space cap via prlimit where available, an RSS watchdog and a wall-clock limit, and
 * hands it `job`. Never throws for anything the child does: the outcome says what happened.
 * `cancel` kills the child early (the client went away). Throws a 503 HttpError only when the
 * service is stopping (stopIsolatedRuns). `testHoldDir`: see hold.ts.
 */
export async function runIsolated<Job, Result>(
  script: string,
  job: Job,
  limits: IsolationLimits,
  cancel?: AbortSignal,
  testHoldDir?: string,
): Promise<IsolatedRun<Result>> {
  if (stopping) throw serviceStopping();
  const maxBytes = limits.maxMemoryMb * 1024 * 1024;
  // The IPC channel is PARENT_WATCH's; with it as a 4th stdio entry, Node's types no longer
  // know that the three pipes exist.
  const child = spawn(
    process.execPath,
    [
      ...TSX_EXEC_ARGV,
      "--import",
      PARENT_WATCH,
      // Most of what a job holds lives outside the V8 heap (ArrayBuffers, onnxruntime), which
      // the watchdog and the address-space cap bound; half the allowance is plenty for objects.
      `--max-old-space-size=${Math.max(64, Math.floor(limits.maxMemoryMb / 2))}`,
      script,
      ...holdArgs(testHoldDir),
    ],
    { stdio: ["pipe", "pipe", "pipe", "ipc"], env: childEnv() },
  ) as ChildProcessByStdio<Writable, Readable, Readable>;
  let stoppedByService = false;
  const stopForShutdown = () => {
    stoppedByService = true;
    child.kill("SIGKILL");
  };
  liveRuns.add(stopForShutdown);
  const pid = child.pid ?? -1;
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  let killedFor: IsolatedRun<Result>["killedFor"];
  let peakRss = 0;
  let baselineRss = 0;
  const kill = (why: NonNullable<typeof killedFor>) => {
    if (killedFor) return;
    killedFor = why;
    child.kill("SIGKILL");
  };
  const timer = setTimeout(() => kill("time"), limits.timeoutMs);
  const watchdog = setInterval(async () => {
    const mem = await memoryOf(pid);
    if (!mem || !Number.isFinite(mem.rss)) return;
    peakRss = Math.max(peakRss, mem.rss);
    if (baselineRss && mem.rss - baselineRss > maxBytes) kill("memory");
  }, 50);
  const onCancel = () => kill("canceled");
  if (cancel?.aborted) onCancel();
  cancel?.addEventListener("abort", onCancel, { once: true });

  // "close" rather than "exit": it comes after stdout has been read to the end, so a result
  // printed just before exiting is never lost.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  child.stdin.on("error", () => {});

  let result: Result | undefined;
  let childError: string | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on("line", async (line) => {
    let message: ChildMessage<Result>;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.stage === "ready") {
      const rss = (await memoryOf(pid))?.rss;
      baselineRss = rss && Number.isFinite(rss) ? rss : 1;
      await capAddressSpace(pid, maxBytes);
      child.stdin.end(`${JSON.stringify(job)}\n`);
    } else if (message.stage === "result") {
      result = message.result;
    } else if (message.stage === "error") {
      childError = message.message;
    }
  });

  const { code, signal } = await exited;
  liveRuns.delete(stopForShutdown);
  clearTimeout(timer);
  clearInterval(watchdog);
  cancel?.removeEventListener("abort", onCancel);
  if (stoppedByService && result === undefined) throw serviceStopping();
  const lastError =
    childError ?? stderr.trim().split("\n").filter(Boolean).slice(-1)[0]?.slice(0, 300) ?? "";
  return {
    result,
    killedFor,
    outOfMemory:
      killedFor === "memory" ||
      (killedFor === undefined && isOutOfMemory(`${stderr}\n${childError ?? ""}`)),
    exitCode: code,
    signal,
    lastError,
    peakRssBytes: peakRss,
  };
}
