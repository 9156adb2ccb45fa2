// Status polling under load: N concurrent clients call tasks.get over HTTP for D seconds
// while a simulated worker writes progress. Prints requests/s, p50/p99 latency, errors and
// the server's CPU time per request (the number that does not depend on how busy the rest of
// a shared machine is).
//   pnpm --filter @studio/api bench [--clients 100] [--seconds 30] [--interval 0]
//     [--warmup 3] [--procedure get|status] [--items-limit 200] [--no-worker] [--profile]
// --interval is each client's pause between polls: 0 (default) is a saturation test, where by
// Little's law latency is just clients / throughput; 500 is what @studio/client's waitForTask
// does while progress moves.
import { fork } from "node:child_process";
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createTestDatabase } from "@studio/db/testing";
import { seedPollingStore } from "./fixtures";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "100" },
    seconds: { type: "string", default: "30" },
    /** Pause of each client between two polls, in ms. */
    interval: { type: "string", default: "0" },
    /** Seconds of polling before measuring (JIT, first queries, connection set-up). */
    warmup: { type: "string", default: "3" },
    "no-worker": { type: "boolean", default: false },
    /** get (task with items, what the issue measures) or status (the light poll). */
    procedure: { type: "string", default: "get" },
    "items-limit": { type: "string" },
    /** Write a CPU profile of the server process into ./bench-profiles. */
    profile: { type: "boolean", default: false },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const interval = Number(values.interval);
const warmup = Number(values.warmup);

const store = await createTestDatabase({ prefix: "studio-bench-" });
const { user, token, taskIds } = await seedPollingStore(store.db);

const child = fork(
  path.join(import.meta.dirname, "serve.ts"),
  [store.url, ...(values["no-worker"] ? ["--no-worker"] : [])],
  {
    execArgv: [
      "--import",
      "tsx",
      ...(values.profile ? ["--cpu-prof", "--cpu-prof-dir=bench-profiles"] : []),
    ],
  },
);
const url = await new Promise<string>((resolve) =>
  child.once("message", (m: { url: string }) => resolve(m.url)),
);
const serverCpuUs = () =>
  new Promise<number>((resolve) => {
    const onMessage = (m: { cpuUs?: number }) => {
      if (m.cpuUs === undefined) return;
      child.off("message", onMessage);
      resolve(m.cpuUs);
    };
    child.on("message", onMessage);
    child.send("cpu");
  });

const latencies: number[] = [];
let errors = 0;
let measuring = false;
const start = performance.now();
// Measuring starts `warmup` seconds after the last client got its first answer: a saturated
// single-threaded server accepts new connections slowly (they wait in the kernel's accept
// queue while the event loop serves the connected clients), and that ramp is start-up, not
// the steady polling this benchmark is about. connectMs reports how long it took.
let connected = 0;
let connectMs = Number.NaN;
let onConnected: () => void = () => {};
let deadline = Number.POSITIVE_INFINITY;
const allConnected = new Promise<void>((resolve) => {
  onConnected = () => {
    connected++;
    if (connected < clients) return;
    connectMs = performance.now() - start;
    deadline = performance.now() + (warmup + seconds) * 1000;
    setTimeout(() => {
      measuring = true;
      child.send("mark");
    }, warmup * 1000);
    resolve();
  };
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const itemsLimit = values["items-limit"] ? { itemsLimit: Number(values["items-limit"]) } : {};

/**
 * GET over the client's own keep-alive connection; resolves with the status once the body is
 * read. One connection per client, as with 100 separate browsers or scripts: a shared fetch
 * pool instead opened connections a few at a time under load and queued the other clients'
 * polls behind them for seconds, which the first version of this benchmark reported as p99.
 */
function get(agent: Agent, target: string) {
  return new Promise<number>((resolve, reject) => {
    const req = request(target, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function loop(n: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // Spread the first polls over one interval, as independent clients would be.
  if (interval > 0) await sleep((n / clients) * interval);
  let first = true;
  while (performance.now() < deadline) {
    const input = encodeURIComponent(
      JSON.stringify({
        json: { teamId: user.personalTeamId, taskId: taskIds[n % 2], ...itemsLimit },
      }),
    );
    const started = performance.now();
    // A request counts when it starts inside the window, however late it ends: dropping the
    // slow ones would hide exactly the starvation this benchmark is about.
    const counted = measuring;
    try {
      const status = await get(agent, `${url}/api/trpc/tasks.${values.procedure}?input=${input}`);
      if (!counted) {
      } else if (status !== 200) errors++;
      else latencies.push(performance.now() - started);
    } catch {
      if (counted) errors++;
    }
    if (first) {
      first = false;
      onConnected();
    }
    if (interval > 0) await sleep(interval);
  }
  agent.destroy();
}
const cpuAtDeadline = allConnected.then(
  () =>
    new Promise<number>((resolve) =>
      setTimeout(() => resolve(serverCpuUs()), deadline - performance.now()),
    ),
);
await Promise.all(Array.from({ length: clients }, (_, n) => loop(n)));
const cpuUs = await cpuAtDeadline;
const load = loadavg()[0] ?? 0;
child.kill("SIGINT");
await new Promise((r) => child.once("exit", r));
await store.cleanup();

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
const result = {
  procedure: `tasks.${values.procedure}`,
  clients,
  intervalMs: interval,
  seconds,
  requests: latencies.length,
  requestsPerSecond: Math.round(latencies.length / seconds),
  p50Ms: +pct(50).toFixed(1),
  p99Ms: +pct(99).toFixed(1),
  maxMs: +(latencies.at(-1) ?? Number.NaN).toFixed(1),
  errors,
  connectMs: Math.round(connectMs),
  serverCpuMsPerRequest: +(cpuUs / 1000 / Math.max(1, latencies.length)).toFixed(2),
  loadAverage: +load.toFixed(1),
};
console.log(JSON.stringify(result));
console.log(
  [
    "| procedure | clients | interval | req/s | p50 | p99 | errors | server CPU/req | load avg |",
    "|---|---|---|---|---|---|---|---|---|",
    `| ${result.procedure} | ${clients} | ${interval} ms | ${result.requestsPerSecond} | ${result.p50Ms} ms | ${result.p99Ms} ms | ${errors} | ${result.serverCpuMsPerRequest} ms | ${result.loadAverage} |`,
  ].join("\n"),
);
