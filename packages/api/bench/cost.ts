// CPU cost of one status poll, in process and without sockets, split into its parts. CPU time
// (process.cpuUsage) rather than wall time, so the numbers hold on a machine shared with
// other work, where the HTTP benchmark's throughput mostly measures the neighbours.
//   pnpm --filter @studio/api exec tsx bench/cost.ts [--iterations 2000]
import { parseArgs } from "node:util";
import { createTestDatabase } from "@studio/db/testing";
import superjson from "superjson";
import { verifyApiToken } from "../src/auth/tokens";
import * as context from "../src/context";
import { createApiHandler } from "../src/http/handler";
import { getTask, taskStatus } from "../src/services/tasks";
import { seedPollingStore } from "./fixtures";

const { values } = parseArgs({
  options: { iterations: { type: "string", default: "2000" } },
});
const iterations = Number(values.iterations);

const store = await createTestDatabase({ prefix: "studio-bench-cost-" });
const { user, taskIds, token } = await seedPollingStore(store.db);
const db = store.db;
const teamId = user.personalTeamId;
const taskId = taskIds[0] as string;

async function measure(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < Math.min(200, iterations); i++) await fn();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  const used = process.cpuUsage(cpu);
  const perCallUs = (used.user + used.system) / iterations;
  const wallUs = ((performance.now() - wall) * 1000) / iterations;
  console.log(
    `${name.padEnd(34)} cpu ${perCallUs.toFixed(0).padStart(6)} us   wall ${wallUs.toFixed(0).padStart(6)} us`,
  );
}

const handler = createApiHandler({ db });
const call = (procedure: string) => async () => {
  const input = encodeURIComponent(JSON.stringify({ json: { teamId, taskId } }));
  const res = await handler(
    new Request(`http://bench.local/api/trpc/tasks.${procedure}?input=${input}`, {
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  if (!res.ok) throw new Error(`${procedure}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
};

await measure("select 1 (raw, floor)", () => db.$queryRawUnsafe("SELECT 1"));
await measure("verifyApiToken", () => verifyApiToken(db, token));
await measure("membership (teamProcedure)", () =>
  db.membership.findUnique({
    where: { userId_teamId: { userId: user.id, teamId } },
    select: { role: true, team: { select: { id: true, name: true, isPersonal: true } } },
  }),
);
// Present once teamProcedure reads memberships with it (see the benchmark notes).
const readMembership = (context as Record<string, unknown>).readTeamMembership as
  | ((db: unknown, userId: string, teamId: string) => Promise<unknown>)
  | undefined;
if (readMembership)
  await measure("membership (readTeamMembership)", () => readMembership(db, user.id, teamId));
await measure("getTask (service)", () => getTask(db, teamId, taskId));
await measure("taskStatus (service)", () => taskStatus(db, teamId, taskId));
const task = await getTask(db, teamId, taskId);
await measure("superjson.serialize(getTask)", async () =>
  JSON.stringify(superjson.serialize(task)),
);
await measure("handler tasks.get (whole request)", call("get"));
await measure("handler tasks.status (whole request)", call("status"));
await store.cleanup();
