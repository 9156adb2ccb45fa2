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
const measureFrom = start + warmup * 1000;
const deadline = measureFrom + seconds * 1000;
setTimeout(() => {
  measuring = true;
  child.send("mark");
}, warmup * 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const itemsLimit = values["items-limit"] ? { itemsLimit: Number(values["items-limit"]) } : {};

async function loop(n: number) {
  // Spread the first polls over one interval, as independent clients would be.
  if (interval > 0) await sleep((n / clients) * interval);
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
      const res = await fetch(`${url}/api/trpc/tasks.${values.procedure}?input=${input}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      if (!counted) {
      } else if (!res.ok) errors++;
      else latencies.push(performance.now() - started);
    } catch {
      if (counted) errors++;
    }
    if (interval > 0) await sleep(interval);
  }
}
const cpuAtDeadline = new Promise<number>((resolve) =>
  setTimeout(() => resolve(serverCpuUs()), deadline - performance.now()),
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
