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
import { runLoad, summarize } from "./load";

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
// serve.ts answers with its CPU time since start-up (it is never sent "mark").
const serverCpuMicros = () =>
  new Promise<number>((resolve) => {
    const onMessage = (m: { cpuUs?: number }) => {
      if (m.cpuUs === undefined) return;
      child.off("message", onMessage);
      resolve(m.cpuUs);
    };
    child.on("message", onMessage);
    child.send("cpu");
  });

const itemsLimit = values["items-limit"] ? { itemsLimit: Number(values["items-limit"]) } : {};
const load = await runLoad({
  clients,
  seconds,
  warmup,
  interval,
  headers: { authorization: `Bearer ${token}` },
  target: (n) => {
    const input = encodeURIComponent(
      JSON.stringify({
        json: { teamId: user.personalTeamId, taskId: taskIds[n % 2], ...itemsLimit },
      }),
    );
    return `${url}/api/trpc/tasks.${values.procedure}?input=${input}`;
  },
  serverCpuMicros,
});
const loadAverage = loadavg()[0] ?? 0;
child.kill("SIGINT");
await new Promise((r) => child.once("exit", r));
await store.cleanup();

const summary = summarize(load);
const result = {
  procedure: `tasks.${values.procedure}`,
  clients,
  intervalMs: interval,
  seconds,
  ...summary,
  loadAverage: +loadAverage.toFixed(1),
};
console.log(JSON.stringify(result));
console.log(
  [
    "| procedure | clients | interval | req/s | p50 | p99 | errors | server CPU/req | load avg |",
    "|---|---|---|---|---|---|---|---|---|",
    `| ${result.procedure} | ${clients} | ${interval} ms | ${result.requestsPerSecond} | ${result.p50Ms} ms | ${result.p99Ms} ms | ${result.errors} | ${result.serverCpuMsPerRequest} ms | ${result.loadAverage} |`,
  ].join("\n"),
);
