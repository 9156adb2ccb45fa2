// Status polling under load: N concurrent clients call tasks.get over HTTP for D seconds
// while a simulated worker writes progress. Prints requests/s, p50/p99 latency and errors.
//   pnpm --filter @studio/api exec tsx bench/poll-tasks.ts [--clients 100] [--seconds 30]
import { fork } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { createTask } from "@studio/db/queue";
import { createTestDatabase } from "@studio/db/testing";
import { createApiToken } from "../src/auth/tokens";
import { makeImage, makeUser, makeWeight } from "../src/test-helpers";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "100" },
    seconds: { type: "string", default: "30" },
    "no-worker": { type: "boolean", default: false },
    /** get (task with items, what the issue measures) or status (the light poll). */
    procedure: { type: "string", default: "get" },
    /** Write a CPU profile of the server process into ./bench-profiles. */
    profile: { type: "boolean", default: false },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);

const store = await createTestDatabase({ prefix: "studio-bench-" });
const user = await makeUser(store.db);
const weight = await makeWeight(store.db, { teamId: user.personalTeamId });
const imageIds: string[] = [];
for (let i = 0; i < 50; i++)
  imageIds.push((await makeImage(store.db, user.personalTeamId, user.id, `i${i}.png`)).id);
const base = {
  teamId: user.personalTeamId,
  createdById: user.id,
  weightId: weight.id,
  weightSha256: weight.sha256,
  taskKind: "super_resolution",
  params: {},
  paramSignature: "x",
};
const running = await createTask(store.db, { ...base, imageIds });
const polled = await createTask(store.db, { ...base, imageIds: imageIds.slice(0, 10) });
const { token } = await createApiToken(store.db, user.id, { name: "bench" });

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

const latencies: number[] = [];
let errors = 0;
const deadline = performance.now() + seconds * 1000;
const targets = [running.id, polled.id];
async function loop(n: number) {
  while (performance.now() < deadline) {
    const input = encodeURIComponent(
      JSON.stringify({ json: { teamId: user.personalTeamId, taskId: targets[n % 2] } }),
    );
    const started = performance.now();
    try {
      const res = await fetch(`${url}/api/trpc/tasks.${values.procedure}?input=${input}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      if (!res.ok) errors++;
      else latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
  }
}
await Promise.all(Array.from({ length: clients }, (_, n) => loop(n)));
child.kill("SIGINT");
await new Promise((r) => child.once("exit", r));
await store.cleanup();

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
console.log(
  JSON.stringify({
    procedure: `tasks.${values.procedure}`,
    clients,
    seconds,
    requests: latencies.length,
    requestsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: +pct(50).toFixed(1),
    p99Ms: +pct(99).toFixed(1),
    errors,
  }),
);
