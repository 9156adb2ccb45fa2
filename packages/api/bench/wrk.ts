// wrk (https://github.com/wg/wrk) as the load generator of server-polling.ts when it is installed
// (Debian: apt-get install wrk): the tool issue 15 measured with, and written in C, so that on a
// small machine the generator takes less of the CPU the servers need than load.ts's node:http
// loop (at 1000 connections that loop, not the server, was the limit). Its text report is parsed
// into the same numbers load.ts gives.
import { execFile, execFileSync } from "node:child_process";
import type { LoadSummary } from "./load";

export function wrkInstalled(): boolean {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (error) {
    // `wrk --version` prints its banner and exits 1; only a missing binary is ENOENT.
    return (error as { code?: string }).code !== "ENOENT";
  }
}

export interface WrkOptions {
  url: string;
  clients: number;
  seconds: number;
  warmup: number;
  headers?: Record<string, string>;
  timeoutMs?: number;
  serverCpuMicros?: () => number | Promise<number>;
}

function wrk(options: WrkOptions, seconds: number): Promise<string> {
  const args = [
    "-t2",
    `-c${options.clients}`,
    `-d${seconds}s`,
    `--timeout=${Math.ceil((options.timeoutMs ?? 30_000) / 1000)}s`,
    "--latency",
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
      "-H",
      `${name}: ${value}`,
    ]),
    options.url,
  ];
  return new Promise((resolve, reject) =>
    execFile("wrk", args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`wrk failed: ${stderr || error.message}`)) : resolve(stdout),
    ),
  );
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : Number.NaN;
}

/** The numbers of one wrk report (see load.ts summarize for their meaning). */
export function parseWrkReport(
  report: string,
  seconds: number,
  serverCpuMicros: number,
): LoadSummary {
  const number = (pattern: RegExp) => Number(pattern.exec(report)?.[1] ?? 0);
  const percentile = (p: number) =>
    durationMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(report)?.[1] ?? "");
  const total = number(/(\d+) requests in/);
  const non2xx = number(/Non-2xx or 3xx responses: (\d+)/);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    report,
  );
  const errorKinds: Record<string, number> = {};
  if (non2xx) errorKinds["HTTP non-2xx"] = non2xx;
  const [connect = 0, read = 0, write = 0, timeout = 0] = (socket?.slice(1) ?? []).map(Number);
  if (connect) errorKinds.connect = connect;
  if (read) errorKinds.read = read;
  if (write) errorKinds.write = write;
  if (timeout) errorKinds.timeout = timeout;
  const ok = total - non2xx;
  return {
    requests: ok,
    requestsPerSecond: Math.round(ok / seconds),
    p50Ms: +percentile(50).toFixed(1),
    p99Ms: +percentile(99).toFixed(1),
    maxMs: +durationMs(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(report)?.[1] ?? "").toFixed(1),
    errors: non2xx + connect + read + write + timeout,
    errorKinds,
    connectMs: Number.NaN,
    serverCpuMsPerRequest: +(serverCpuMicros / 1000 / Math.max(1, ok)).toFixed(2),
  };
}

/** A warm-up run (discarded), then the measured run with the server's CPU sampled around it. */
export async function runWrk(options: WrkOptions): Promise<LoadSummary> {
  const sampleCpu = async () =>
    options.serverCpuMicros ? await options.serverCpuMicros() : Number.NaN;
  if (options.warmup > 0) await wrk(options, options.warmup);
  const cpuStart = await sampleCpu();
  const report = await wrk(options, options.seconds);
  const cpuEnd = await sampleCpu();
  return parseWrkReport(report, options.seconds, cpuEnd - cpuStart);
}
