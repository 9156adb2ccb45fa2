// The load loop both polling benchmarks use (poll-tasks.ts against the bare handler,
// server-polling.ts against the production server): N clients, each on its own keep-alive
// connection, poll as fast as answers come (or with a pause) for a measured window after a
// warm-up. Hand-written rather than autocannon/wrk: neither is installed here and the
// registry's autocannon is not a dependency; this is ~150 lines on node:http.
import { Agent, request } from "node:http";

export interface LoadOptions {
  clients: number;
  /** Length of the measured window. */
  seconds: number;
  /** Seconds of polling before measuring (JIT, first queries, connection set-up). */
  warmup: number;
  /** Pause of each client between two polls, in ms (0: saturation). */
  interval?: number;
  /** The URL client `n` polls (it may alternate between resources). */
  target: (client: number) => string;
  headers?: Record<string, string>;
  /** A request unanswered this long is destroyed and counted as a "timeout" error. */
  timeoutMs?: number;
  /**
   * CPU time of the server so far in microseconds, sampled when the window opens and when it
   * closes: the difference per request is the number that does not depend on how busy the rest
   * of a shared machine is.
   */
  serverCpuMicros?: () => number | Promise<number>;
}

export interface LoadResult {
  clients: number;
  seconds: number;
  /** Latencies of the successful requests of the window, in ms, sorted. */
  latencies: number[];
  errors: number;
  /** Errors by kind: "HTTP 503", "timeout", "ECONNRESET", ... */
  errorKinds: Record<string, number>;
  /** How long until every client had its first answer (see below). */
  connectMs: number;
  /** Server CPU time spent in the window (NaN without serverCpuMicros). */
  serverCpuMicros: number;
}

class RequestTimeout extends Error {
  code = "timeout";
}

/**
 * GET over the client's own keep-alive connection; resolves with the status once the body is
 * read. One connection per client, as with 100 separate browsers or scripts: a shared fetch
 * pool instead opened connections a few at a time under load and queued the other clients'
 * polls behind them for seconds, which the first version of this benchmark reported as p99.
 */
function get(agent: Agent, target: string, headers: Record<string, string>, timeoutMs: number) {
  return new Promise<number>((resolve, reject) => {
    const req = request(target, { agent, headers }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new RequestTimeout("timeout")));
    req.on("error", reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { clients, seconds, warmup } = options;
  const interval = options.interval ?? 0;
  const headers = options.headers ?? {};
  const timeoutMs = options.timeoutMs ?? 30_000;
  const sampleCpu = async () =>
    options.serverCpuMicros ? await options.serverCpuMicros() : Number.NaN;

  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let errors = 0;
  const fail = (kind: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  let measuring = false;
  const start = performance.now();
  // Measuring starts `warmup` seconds after the last client got its first answer: a saturated
  // single-threaded server accepts new connections slowly (they wait in the kernel's accept
  // queue while the event loop serves the connected clients), and that ramp is start-up, not
  // the steady polling this benchmark is about. connectMs reports how long it took.
  let connected = 0;
  let connectMs = Number.NaN;
  let deadline = Number.POSITIVE_INFINITY;
  let cpuAtStart: Promise<number> = Promise.resolve(Number.NaN);
  let cpuAtEnd: Promise<number> | undefined;
  const onConnected = () => {
    connected++;
    if (connected < clients) return;
    connectMs = performance.now() - start;
    deadline = performance.now() + (warmup + seconds) * 1000;
    setTimeout(() => {
      measuring = true;
      cpuAtStart = sampleCpu();
    }, warmup * 1000);
    setTimeout(
      () => {
        cpuAtEnd = sampleCpu();
      },
      (warmup + seconds) * 1000,
    );
  };

  async function loop(n: number) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // Spread the first polls over one interval, as independent clients would be.
    if (interval > 0) await sleep((n / clients) * interval);
    let first = true;
    while (performance.now() < deadline) {
      const started = performance.now();
      // A request counts when it starts inside the window, however late it ends: dropping the
      // slow ones would hide exactly the starvation this benchmark is about.
      const counted = measuring;
      try {
        const status = await get(agent, options.target(n), headers, timeoutMs);
        if (!counted) {
        } else if (status !== 200) fail(`HTTP ${status}`);
        else latencies.push(performance.now() - started);
      } catch (error) {
        if (counted) fail(String((error as { code?: unknown }).code ?? (error as Error).message));
      }
      if (first) {
        first = false;
        onConnected();
      }
      if (interval > 0) await sleep(interval);
    }
    agent.destroy();
  }

  await Promise.all(Array.from({ length: clients }, (_, n) => loop(n)));
  // The last requests may end after the window closed; its CPU sample was taken on time.
  // The clients may all stop (at the deadline) before the end sample's timer has run.
  const [cpuStart, cpuEnd] = await Promise.all([cpuAtStart, cpuAtEnd ?? sampleCpu()]);
  latencies.sort((a, b) => a - b);
  return {
    clients,
    seconds,
    latencies,
    errors,
    errorKinds,
    connectMs,
    serverCpuMicros: cpuEnd - cpuStart,
  };
}

/** The numbers a benchmark row shows. */
export interface LoadSummary {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  errorKinds: Record<string, number>;
  connectMs: number;
  serverCpuMsPerRequest: number;
}

export function summarize(result: LoadResult): LoadSummary {
  const { latencies } = result;
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ??
    Number.NaN;
  return {
    requests: latencies.length,
    requestsPerSecond: Math.round(latencies.length / result.seconds),
    p50Ms: +pct(50).toFixed(1),
    p99Ms: +pct(99).toFixed(1),
    maxMs: +(latencies.at(-1) ?? Number.NaN).toFixed(1),
    errors: result.errors,
    errorKinds: result.errorKinds,
    connectMs: Math.round(result.connectMs),
    serverCpuMsPerRequest: +(result.serverCpuMicros / 1000 / Math.max(1, latencies.length)).toFixed(
      2,
    ),
  };
}
