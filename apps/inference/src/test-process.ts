// Runs the real service (src/main.ts) as a child process for tests that need real processes:
// SIGKILL, SIGTERM, several workers on one store.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { TSX_EXEC_ARGV } from "./tsx";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  /** Parsed JSON log lines so far. */
  logs: Array<Record<string, unknown>>;
  url: string;
  waitForLog(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnService(
  env: Record<string, string>,
  startTimeoutMs = 60_000,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...TSX_EXEC_ARGV, MAIN], {
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      NODE_ENV: "test",
      INFERENCE_HOST: "127.0.0.1",
      INFERENCE_PORT: "0",
      LOG_TO_FILE: "false",
      LOG_LEVEL: "info",
      CLEANUP_ENABLED: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });

  const waitForLog: ServiceProcess["waitForLog"] = (predicate, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found) {
          cleanup();
          resolve(found);
        } else if (done) {
          cleanup();
          reject(new Error(`service exited before the expected log line; stderr: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out waiting for a log line; last: ${JSON.stringify(logs.slice(-3))} stderr: ${stderr}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const listening = await waitForLog(
    (l) => l.msg === "inference service listening",
    startTimeoutMs,
  );
  if (env.WORKER_ENABLED !== "false")
    await waitForLog((l) => l.msg === "worker started", startTimeoutMs);
  return {
    child,
    pid: child.pid ?? -1,
    logs,
    url: `http://127.0.0.1:${listening.port as number}`,
    waitForLog,
    exited,
  };
}

/** Whether a process is still running (signal 0 only checks). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
