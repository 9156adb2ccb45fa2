import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TaskKind, ValidateResponse } from "../protocol";
import { TSX_EXEC_ARGV } from "../tsx";
import type { ChildJob, ChildResult } from "./child";

const execFileAsync = promisify(execFile);
const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

export interface ValidationLimits {
  /** Wall-clock limit for the whole child (start, inspect, load, run). */
  timeoutMs: number;
  /** Resident memory the child may reach; also its extra address space. */
  maxMemoryMb: number;
  /** Longest acceptable single reference run. */
  maxRunMs: number;
}

export interface ValidationInput {
  file: string;
  taskKind: TaskKind;
  spec?: unknown;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
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

function childEnv(): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "TEMP", "TMP", "LANG", "NODE_ENV", "SYSTEMROOT"];
  return Object.fromEntries(
    keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]),
  ) as NodeJS.ProcessEnv;
}

const hasPrlimit = existsSync("/usr/bin/prlimit") || existsSync("/bin/prlimit");

/**
 * Caps the child's address space at what it has reserved so far plus the allowance. Done
 * after start-up because the JS runtime reserves large virtual ranges (WebAssembly guard
 * regions) that it never touches; from here on a model's allocation beyond the allowance
 * fails inside onnxruntime instead of growing.
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
 * Validates one ONNX file in a child process with a memory cap (V8 heap limit, an address
 * space limit via prlimit where available, and an RSS watchdog) and a time limit. Never
 * throws for anything the model does; every failure becomes a rejection with its reason.
 */
export async function validateWeightFile(
  input: ValidationInput,
  limits: ValidationLimits,
): Promise<ValidateResponse> {
  const started = performance.now();
  const total = () => Math.round(performance.now() - started);
  const base = { taskKind: input.taskKind, inputs: [], outputs: [], opsets: [] };
  const info = await stat(input.file);
  const sha256 = await sha256File(input.file);
  const maxBytes = limits.maxMemoryMb * 1024 * 1024;

  const child = spawn(
    process.execPath,
    [
      ...TSX_EXEC_ARGV,
      `--max-old-space-size=${Math.max(64, Math.floor(limits.maxMemoryMb / 2))}`,
      CHILD,
    ],
    // The child needs no secrets: only what node and the TypeScript loader use.
    { stdio: ["pipe", "pipe", "pipe"], env: childEnv() },
  );
  const pid = child.pid ?? -1;
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  let killedFor: "time" | "memory" | undefined;
  let peakRss = 0;
  let baselineRss = 0;
  const kill = (why: "time" | "memory") => {
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

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  child.stdin.on("error", () => {});

  let result: ChildResult | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on("line", async (line) => {
    let message: { stage?: string; result?: ChildResult };
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.stage === "ready") {
      const rss = (await memoryOf(pid))?.rss;
      baselineRss = rss && Number.isFinite(rss) ? rss : 1;
      await capAddressSpace(pid, maxBytes);
      const job: ChildJob = {
        file: input.file,
        taskKind: input.taskKind,
        spec: input.spec,
        maxRunMs: limits.maxRunMs,
      };
      child.stdin.end(`${JSON.stringify(job)}\n`);
    } else if (message.stage === "result" && message.result) {
      result = message.result;
    }
  });

  const { code, signal } = await exited;
  clearTimeout(timer);
  clearInterval(watchdog);
  const common = { ...base, sha256, sizeBytes: info.size };
  const peakRssMb = Math.round(
    Math.max(peakRss, (result?.peakRssMb ?? 0) * 1024 * 1024) / (1024 * 1024),
  );

  if (result) {
    return {
      ...common,
      ...result,
      timings: { ...result.timings, totalMs: total() },
      peakRssMb,
    };
  }
  if (killedFor === "time") {
    return {
      ...common,
      ok: false,
      code: "too_slow",
      reason: `validation did not finish within ${Math.round(limits.timeoutMs / 1000)} s (load and one reference run)`,
      timings: { totalMs: total() },
      peakRssMb,
    };
  }
  const oom = killedFor === "memory" || /out of memory|bad_alloc|allocat|heap limit/i.test(stderr);
  if (oom) {
    return {
      ...common,
      ok: false,
      code: "too_much_memory",
      reason: `the model needed more than ${limits.maxMemoryMb} MB of memory during validation`,
      timings: { totalMs: total() },
      peakRssMb,
    };
  }
  const lastLine = stderr.trim().split("\n").filter(Boolean).slice(-1)[0] ?? "";
  return {
    ...common,
    ok: false,
    code: "load_failed",
    reason: `the validation process died (${signal ?? `exit ${code}`}) while loading or running the model${lastLine ? `: ${lastLine.slice(0, 300)}` : ""}`,
    timings: { totalMs: total() },
    peakRssMb,
  };
}
