// Queue benchmark on both stores (issue #14, "Benchmark"): tiny tasks (no model) claimed and
// finished per second with 1, 4 and 16 concurrent claimers on SQLite and on PostgreSQL, and
// submit-to-start latency p50 / p99 of an idle worker with LISTEN/NOTIFY versus polling.
// Starts its own private PostgreSQL cluster and SQLite file and removes both at the end.
//   pnpm --filter @studio/db bench [-- --tasks 300 --claimers 1,4,16 --samples 50 --poll-ms 500]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createDb, type Db } from "../src/client";
import type { DatabaseProvider } from "../src/env";
import { migrateDatabase } from "../src/migrate";
import { createDatabase, startPostgresServer } from "../src/postgres-server";
import { createTask } from "../src/queue";
import { prepareTestPostgres } from "../src/test-postgres";
import { benchOptions, createTestFixtures, type TestFixtures } from "../src/testing";
import { ClaimerPool } from "./claimer-pool";
import { submitToStartLatencies, type WaitMode } from "./latency";

const values = benchOptions({
  /** Tasks queued for each throughput round. */
  tasks: "300",
  claimers: "1,4,16",
  /** Latency samples per configuration. */
  samples: "50",
  /** The inference worker's default WORKER_POLL_MS (apps/inference/src/env.ts). */
  "poll-ms": "500",
});
const TASKS = Number(values.tasks);
const CLAIMERS = values.claimers.split(",").map(Number);
const SAMPLES = Number(values.samples);
const POLL_MS = Number(values["poll-ms"]);

// --- the stores, removed at the end whatever happens ---

const cleanups: (() => Promise<unknown> | unknown)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => {});
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));

interface Store {
  url: string;
  db: Db;
  fx: TestFixtures;
}

async function openStore(url: string): Promise<Store> {
  const db = createDb(url);
  cleanups.push(() => db.$disconnect());
  return { url, db, fx: await createTestFixtures(db, { images: 1, suffix: "bench" }) };
}

// --- throughput ---

/** Queues `count` one-item tasks through the product's createTask. */
async function seed(store: Store, count: number): Promise<string[]> {
  const ids: string[] = [];
  // A few at a time: PostgreSQL answers in parallel; SQLite's one connection serialises them.
  for (let i = 0; i < count; i += 8) {
    const batch = Array.from({ length: Math.min(8, count - i) }, (_, j) =>
      createTask(store.db, {
        teamId: store.fx.teamId,
        createdById: store.fx.userId,
        weightId: store.fx.weightId,
        weightSha256: store.fx.weightSha256,
        taskKind: "super_resolution",
        params: { n: i + j },
        paramSignature: "bench",
        imageIds: store.fx.imageIds,
      }),
    );
    for (const { id } of await Promise.all(batch)) ids.push(id);
  }
  return ids;
}

/** Fails loudly unless every queued task was claimed by exactly one claimer and succeeded once. */
async function checkEachTaskOnce(store: Store, ids: string[], claimed: string[][]): Promise<void> {
  const all = claimed.flat();
  const unique = new Set(all);
  const expected = new Set(ids);
  if (
    all.length !== ids.length ||
    unique.size !== ids.length ||
    ![...unique].every((id) => expected.has(id))
  )
    throw new Error(
      `claims do not match the queue: ${ids.length} queued, ${all.length} claimed, ${unique.size} distinct`,
    );
  const once = await store.db.task.count({
    where: { id: { in: ids }, status: "succeeded", attempts: 1, itemsDone: 1 },
  });
  if (once !== ids.length)
    throw new Error(`${ids.length - once} of ${ids.length} tasks did not succeed in one attempt`);
}

interface Throughput {
  claimers: number;
  tasksPerSecond: number;
  seconds: number;
  /** Mean time of one claimer for one task (claim to complete). */
  msPerTask: number;
  /** The slowest single store call. */
  slowestMs: number;
  /** Store calls that gave up with SQLITE_BUSY after the 5 s busy timeout. */
  busy: number;
  /**
   * CPU time of the claimer processes per task: unlike the rate, it hardly depends on what else
   * the machine is doing. On SQLite it is the store's whole cost; PostgreSQL's server adds its own.
   */
  cpuMsPerTask: number;
}

async function throughput(pool: ClaimerPool, store: Store, provider: DatabaseProvider) {
  await pool.open(store.url);
  // Unreported warm-up: every process compiles its queries and opens its connection.
  const warm = await seed(store, 4 * Math.max(...CLAIMERS));
  await checkEachTaskOnce(store, warm, (await pool.round(Math.max(...CLAIMERS), "warm")).claimed);
  const results: Throughput[] = [];
  for (const claimers of CLAIMERS) {
    const ids = await seed(store, TASKS);
    const round = await pool.round(claimers, `${provider}-${claimers}`);
    await checkEachTaskOnce(store, ids, round.claimed);
    results.push({
      claimers,
      tasksPerSecond: TASKS / (round.ms / 1000),
      seconds: round.ms / 1000,
      msPerTask: (round.ms * claimers) / TASKS,
      slowestMs: round.slowestMs,
      busy: round.busy,
      cpuMsPerTask: round.cpuMs / TASKS,
    });
    log(
      `${provider}: ${claimers} claimer(s): ${TASKS} tasks in ${(round.ms / 1000).toFixed(2)} s, ` +
        `slowest call ${round.slowestMs.toFixed(0)} ms, ${round.busy} SQLITE_BUSY`,
    );
  }
  return results;
}

// --- report ---

function log(message: string): void {
  process.stderr.write(`[queue bench] ${message}\n`);
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function latencyCell(samples: number[] | undefined): string {
  if (!samples) return "n/a";
  const sorted = [...samples].sort((a, b) => a - b);
  const ms = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
  return `${ms(percentile(sorted, 50))} / ${ms(percentile(sorted, 99))} ms`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = os.loadavg()[0] ?? 0;
  log("starting a private PostgreSQL cluster, a SQLite file and the claimer processes");
  const dir = mkdtempSync(join(os.tmpdir(), "studio-queue-bench-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sqliteUrl = `file:${join(dir, "studio.db")}`;
  // Settled one by one, so that whatever started is stopped even when another part failed.
  const [serverStart, poolStart, migrated] = await Promise.allSettled([
    startPostgresServer({ prefix: "studio-queue-bench-pg-" }),
    ClaimerPool.start(Math.max(...CLAIMERS)),
    migrateDatabase(sqliteUrl),
  ]);
  if (serverStart.status === "fulfilled") cleanups.push(() => serverStart.value.stop());
  if (poolStart.status === "fulfilled") cleanups.push(() => poolStart.value.stop());
  if (serverStart.status === "rejected") throw serverStart.reason;
  if (poolStart.status === "rejected") throw poolStart.reason;
  if (migrated.status === "rejected") throw migrated.reason;
  const server = serverStart.value;
  const pool = poolStart.value;
  const adminUrl = server.urlFor("postgres");
  const { template } = await prepareTestPostgres(adminUrl);
  // One database per measurement that runs at the same time as another (see latency below).
  const [pgClaims, pgNotify, pgPoll] = await Promise.all(
    ["bench_claims", "bench_notify", "bench_poll"].map((name) =>
      createDatabase(adminUrl, name, { template }).then(openStore),
    ),
  );
  const sqlite = await openStore(sqliteUrl);
  if (!pgClaims || !pgNotify || !pgPoll) throw new Error("PostgreSQL databases missing");

  const claims: Record<DatabaseProvider, Throughput[]> = {
    sqlite: await throughput(pool, sqlite, "sqlite"),
    postgresql: await throughput(pool, pgClaims, "postgresql"),
  };
  pool.stop();

  // The three latency series wait idle most of the time, so they run at the same time (each on
  // its own store, so no claimer takes another's task) to keep the benchmark short.
  log(`submit-to-start latency: ${SAMPLES} samples each, poll every ${POLL_MS} ms`);
  const measure = (store: Store, mode: WaitMode) =>
    submitToStartLatencies({
      url: store.url,
      fx: store.fx,
      mode,
      pollMs: POLL_MS,
      samples: SAMPLES,
    });
  const [sqlitePoll, postgresPoll, postgresNotify] = await Promise.all([
    measure(sqlite, "poll"),
    measure(pgPoll, "poll"),
    measure(pgNotify, "notify"),
  ]);

  const [pgVersion] = await pgClaims.db.$queryRaw<{ v: string }[]>`SELECT version() AS v`;
  const [sqliteVersion] = await sqlite.db.$queryRaw<{ v: string }[]>`SELECT sqlite_version() AS v`;
  const cpus = os.cpus();
  const rows: string[][] = [];
  for (const [i, claimers] of CLAIMERS.entries()) {
    const cell = (p: DatabaseProvider) => {
      const r = claims[p][i];
      if (!r) return "n/a";
      const busy = r.busy > 0 ? `, ${r.busy} SQLITE_BUSY` : "";
      return `${r.tasksPerSecond.toFixed(0)} /s (${r.msPerTask.toFixed(1)} ms/task per claimer, claimer CPU ${r.cpuMsPerTask.toFixed(1)} ms/task, slowest call ${r.slowestMs.toFixed(0)} ms${busy})`;
    };
    rows.push([
      `tasks/s, ${claimers} claimer process${claimers > 1 ? "es" : ""}`,
      cell("sqlite"),
      cell("postgresql"),
    ]);
  }
  rows.push([
    `submit-to-start p50 / p99, polling every ${POLL_MS} ms`,
    latencyCell(sqlitePoll),
    latencyCell(postgresPoll),
  ]);
  rows.push([
    `submit-to-start p50 / p99, LISTEN/NOTIFY (poll ${POLL_MS} ms as fallback)`,
    "n/a (no cross-process signal)",
    latencyCell(postgresNotify),
  ]);

  console.log(
    [
      "",
      `Queue benchmark: ${TASKS} one-item tasks per round; a task = claim, list items, start item, record result, complete (the worker's store calls, no model).`,
      `Every task was claimed by exactly one claimer and succeeded in one attempt (checked). Latency: ${SAMPLES} samples each, createTask returned -> claimNextTask returned it (p99 of ${SAMPLES} is about the maximum).`,
      `Machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${loadBefore.toFixed(1)} at start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at end.`,
      `Stores: SQLite ${sqliteVersion?.v ?? "?"} (WAL, file in ${os.tmpdir()}); ${pgVersion?.v.split(" on ")[0] ?? "PostgreSQL"} on 127.0.0.1 (private cluster: fsync and synchronous_commit off, so commits cost less than on a durable server). Node ${process.version}.`,
      "",
      `| measure | SQLite | PostgreSQL |`,
      `|---|---|---|`,
      ...rows.map((r) => `| ${r.join(" | ")} |`),
      "",
      `(${((performance.now() - started) / 1000).toFixed(0)} s in all)`,
    ].join("\n"),
  );
}

try {
  await main();
} finally {
  await cleanup();
}
