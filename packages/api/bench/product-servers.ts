// The product as `npm start` runs it (scripts/start.mjs), for server-polling.ts: the inference
// service (`node --import tsx src/main.ts`, its worker in a child process) and the web app's
// production server (`node apps/web/server.mjs` over the `next build` output), each as a plain
// node process in its own process group, on free ports, with one fresh DATA_DIR and SQLite file.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
export const WEB_DIR = path.join(REPO_ROOT, "apps/web");
const INFERENCE_DIR = path.join(REPO_ROOT, "apps/inference");

export function webBuildExists(): boolean {
  return existsSync(path.join(WEB_DIR, ".next/BUILD_ID"));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Service {
  name: string;
  child: ChildProcess;
  url: string;
  /** SIGTERM to the group, as start.mjs stops it; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The environment both services share (productEnv of scripts/lib.mjs, with fresh secrets). */
export function productEnv(options: { dataDir: string; databaseUrl: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "production",
    NODE_OPTIONS: "",
    NEXT_TELEMETRY_DISABLED: "1",
    ONNXRUNTIME_NODE_INSTALL: "skip",
    DATA_DIR: options.dataDir,
    DATABASE_URL: options.databaseUrl,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    INFERENCE_TOKEN: randomBytes(32).toString("base64url"),
  };
}

function start(
  name: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; url: string },
): Service {
  const log = openSync(options.logFile, "a");
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", log, log],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    child,
    url: options.url,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const pid = child.pid;
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-pid, signal);
        } catch {
          // the group is gone
        }
      };
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // Anything the service started and left behind goes with it (as start.mjs does).
      kill("SIGKILL");
    },
  };
}

/** Resolves once `url` answers 200; throws with the service's log when it exits or times out. */
export async function waitUntilUp(service: Service, probe: string, logFile: string) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(
        `${service.name} exited with ${service.child.exitCode}:\n${readFileSync(logFile, "utf8").slice(-4000)}`,
      );
    }
    try {
      const response = await fetch(`${service.url}${probe}`, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(
    `${service.name} did not come up:\n${readFileSync(logFile, "utf8").slice(-4000)}`,
  );
}

export function startInference(env: NodeJS.ProcessEnv, port: number, logFile: string): Service {
  return start("inference", ["--import", "tsx", "src/main.ts"], {
    cwd: INFERENCE_DIR,
    env: { ...env, INFERENCE_HOST: "127.0.0.1", INFERENCE_PORT: String(port) },
    logFile,
    url: `http://127.0.0.1:${port}`,
  });
}

/** `node server.mjs` in apps/web; `nodeFlags` (e.g. --cpu-prof) go before the script. */
export function startWeb(
  env: NodeJS.ProcessEnv,
  options: { port: number; inferenceUrl: string; logFile: string; nodeFlags?: string[] },
): Service {
  const url = `http://127.0.0.1:${options.port}`;
  return start("web", [...(options.nodeFlags ?? []), "server.mjs"], {
    cwd: WEB_DIR,
    env: {
      ...env,
      WEB_PORT: String(options.port),
      NEXTAUTH_URL: url,
      INFERENCE_URL: options.inferenceUrl,
    },
    logFile: options.logFile,
    url,
  });
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, microseconds) of every live process of a process group, from
 * /proc/<pid>/stat: the web server and anything it started. Linux only.
 */
export function groupCpuMicros(pgid: number): number {
  let ticks = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // The command name may contain spaces and parentheses; the fields after it do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15.
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks / CLOCK_TICKS_PER_SECOND) * 1e6;
}
