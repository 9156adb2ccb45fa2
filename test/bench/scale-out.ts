// End-to-end scale-out benchmark (issue #14, "Benchmark"): tiny tasks per second through the
// whole product with one and with two inference nodes on this machine. Everything is real and
// started here: a private PostgreSQL cluster, an S3 server (s3rver), this process's API on HTTP
// routed through the node registry, and the nodes as separate process groups with their own
// data directories. A tiny task is a x2 super-resolution (a one-layer model) of a 451x300 PNG: queue, claim, read the
// input and the weight from the bucket, run, store the result in the bucket, record it.
//   pnpm --filter @studio/test bench [-- --tasks 120 --nodes 1,2 --concurrency 2]
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { startTestS3Server } from "@studio/blob/testing";
import { createDb, type Db } from "@studio/db/client";
import { migrateDatabase } from "@studio/db/migrate";
import { listNodes } from "@studio/db/nodes";
import { benchOptions, startPostgresServer } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import {
  freshDataDir,
  type InferenceNodeProcess,
  queueTasks,
  serveApiOnRegistry,
  startInferenceNode,
  uploadTinySr,
  useDataDirForApi,
} from "../integration/inference-node";

const values = benchOptions({
  tasks: "120",
  nodes: "1,2",
  /** WORKER_CONCURRENCY of each node. */
  concurrency: "2",
});
const TASKS = Number(values.tasks);
const NODE_COUNTS = values.nodes.split(",").map(Number);
const CONCURRENCY = values.concurrency;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
async function cleanup() {
  for (const step of cleanups.splice(0).reverse()) await Promise.resolve(step()).catch(() => {});
}
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));

const log = (message: string) => process.stderr.write(`[scale-out bench] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Round {
  nodes: number;
  seconds: number;
  tasksPerSecond: number;
}

async function round(
  adminUrl: (name: string) => Promise<string>,
  s3Env: Record<string, string>,
  nodeCount: number,
): Promise<Round> {
  const url = await adminUrl(`bench_nodes_${nodeCount}`);
  await migrateDatabase(url);
  const db: Db = createDb(url);
  const env = { ...s3Env, S3_PREFIX: `bench-${nodeCount}`, WORKER_CONCURRENCY: CONCURRENCY };
  const webDir = freshDataDir("scale-bench-web-");
  useDataDirForApi(webDir, env);
  const nodes: InferenceNodeProcess[] = [];
  const local = [webDir];
  try {
    for (let i = 0; i < nodeCount; i++) {
      const dataDir = freshDataDir(`scale-bench-node-${i}-`);
      local.push(dataDir);
      nodes.push(startInferenceNode({ id: `bench-${i}`, databaseUrl: url, dataDir, env }));
    }
    await until("the nodes to register", async () => {
      const up = (await listNodes(db)).filter((node) => node.state === "up");
      return up.length === nodeCount;
    });
    const { server, client, teamId } = await serveApiOnRegistry(db, "bench");
    try {
      const weight = await uploadTinySr(client);
      const image = await client.uploadImage({
        data: readFileSync(fixturePath("chelsea.png")),
        name: "chelsea.png",
      });
      const run = async (count: number) => {
        const started = performance.now();
        const ids = await queueTasks(client, teamId, {
          count,
          imageId: image.id,
          weightFor: () => weight.id,
        });
        await until("the tasks to finish", async () => {
          const done = await db.task.count({
            where: { id: { in: ids }, status: { in: ["succeeded", "failed", "canceled"] } },
          });
          return done === count;
        });
        const failed = await db.task.count({
          where: { id: { in: ids }, status: { not: "succeeded" } },
        });
        if (failed > 0) throw new Error(`${failed} of ${count} tasks did not succeed`);
        return { ids, ms: performance.now() - started };
      };
      // Unreported warm-up: each node loads the weight and caches the input.
      await run(4 * nodeCount);
      const { ms } = await run(TASKS);
      log(`${nodeCount} node(s): ${TASKS} tasks in ${(ms / 1000).toFixed(2)} s`);
      return {
        nodes: nodeCount,
        seconds: ms / 1000,
        tasksPerSecond: TASKS / (ms / 1000),
      };
    } finally {
      await server.close();
    }
  } finally {
    for (const node of nodes) node.kill();
    await db.$disconnect();
    for (const dir of local) rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const loadBefore = os.loadavg()[0] ?? 0;
  log("starting a private PostgreSQL cluster and an S3 server");
  const pg = await startPostgresServer({ prefix: "studio-scale-bench-pg-" });
  cleanups.push(() => pg.stop());
  const s3 = await startTestS3Server();
  cleanups.push(() => s3.cleanup());
  const rounds: Round[] = [];
  for (const count of NODE_COUNTS) {
    rounds.push(await round((name) => pg.createDatabase(name), s3.env, count));
  }
  const cpus = os.cpus();
  const base = rounds[0]?.tasksPerSecond ?? 1;
  console.log(
    [
      "",
      `Scale-out benchmark: ${TASKS} tiny tasks (x2 super-resolution by a one-layer model of a 451x300 PNG) per round, queued through the API; PostgreSQL + S3 (s3rver), every node with its own data directory, WORKER_CONCURRENCY=${CONCURRENCY}. All tasks succeeded (checked).`,
      `Machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${loadBefore.toFixed(1)} at start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at end. Node ${process.version}.`,
      "",
      "| inference nodes | seconds | tasks/s | vs first row |",
      "|---|---|---|---|",
      ...rounds.map(
        (r) =>
          `| ${r.nodes} | ${r.seconds.toFixed(2)} | ${r.tasksPerSecond.toFixed(1)} | ${(r.tasksPerSecond / base).toFixed(2)}x |`,
      ),
      "",
    ].join("\n"),
  );
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanup);
