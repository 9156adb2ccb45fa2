// Status polling against the production server (issue 15): the web app as `npm start` runs it
// (apps/web/server.mjs over the `next build` output) with the inference service and its worker
// running real tasks (a tiny x2 super-resolution of a photo, queued continuously) so that reads
// compete with writes, on a fresh SQLite DATA_DIR; beside it, in the same run, the reference
// services issue 15 compares with: a minimal FastAPI + uvicorn one (reference_fastapi.py, when a
// Python with fastapi and uvicorn is installed) and the same on bare node:http + better-sqlite3
// (token lookup + one SELECT). Each is loaded by N keep-alive connections for S seconds after a
// warm-up: the reference, tasks.get, its conditional form tasks.getIfChanged (sent the version
// of the current answer, so it answers "unchanged", what a poll of a task that has not changed
// since the last poll gets) and tasks.status, with a bearer token and with a session cookie; then
// tasks.status at 1000 connections (graceful degradation); then one tasks.status load on a web
// server started with --cpu-prof, summarised by layer and frame. With --compare-node-flags, the
// measured rows run again on a web server started with those node flags (e.g.
// --compare-node-flags=--max-semi-space-size=32: with "=", as the flags start with a dash), in
// the same run.
//   pnpm --filter @studio/api bench:server [--clients 100] [--seconds 10] [--warmup 3]
//     [--overload-clients 1000] [--no-overload] [--no-profile] [--wrk]
//     [--only status|get] [--profile-procedure status|get] [--compare-node-flags=<flags>]
// The web app must be built first (`pnpm exec turbo run build --filter=@studio/web`).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildTinySrModel } from "@studio/core/testing";
import { createDb } from "@studio/db/client";
import { migrateDatabase } from "@studio/db/migrate";
import { fixturePath } from "@studio/fixtures";
import { createApiToken } from "../src/auth/tokens";
import { createTaskForTeam } from "../src/services/tasks";
import { makeTeam, makeUser, TEST_PASSWORD } from "../src/test-helpers";
import { formatProfileSummary, summarizeProfile } from "./cpu-profile-summary";
import { type LoadSummary, runLoad, summarize } from "./load";
import {
  freePort,
  groupCpuMicros,
  productEnv,
  type Service,
  startInference,
  startWeb,
  waitUntilUp,
  webBuildExists,
} from "./product-servers";
import { runWrk, wrkInstalled } from "./wrk";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "100" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    "overload-clients": { type: "string", default: "1000" },
    "no-overload": { type: "boolean", default: false },
    "no-profile": { type: "boolean", default: false },
    /**
     * Load with wrk (when installed) instead of load.ts. wrk opens its connections inside the
     * measured window, and a saturated Node server serves a new connection's first request only
     * after up to 2 s (measured: existing keep-alive connections go first), so its p99 is that
     * ramp; load.ts measures from when every client has had its first answer, like browsers that
     * stay connected. wrk costs the machine less CPU, so its req/s are the cleaner throughput.
     */
    wrk: { type: "boolean", default: false },
    /** Which row the profile loads: tasks.status (default) or tasks.get, with the bearer token. */
    "profile-procedure": { type: "string", default: "status" },
    /** Only the reference and the rows of this procedure (status, or get with getIfChanged). */
    only: { type: "string" },
    /** Node flags for a second web server whose rows are measured after the first's. */
    "compare-node-flags": { type: "string" },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const overloadClients = Number(values["overload-clients"]);

const log = (message: string) => process.stderr.write(`[server bench] ${message}\n`);

if (!webBuildExists()) {
  log(
    "the web app is not built: run `pnpm exec turbo run build --filter=@studio/web` first (this benchmark measures the production build)",
  );
  process.exit(1);
}

const cleanups: (() => unknown)[] = [];
async function cleanup() {
  for (const step of cleanups.splice(0).reverse()) await Promise.resolve(step()).catch(() => {});
}
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));

const loadAtStart = loadavg()[0] ?? 0;
const dataDir = mkdtempSync(path.join(tmpdir(), "studio-bench-server-"));
cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
for (const dir of ["uploads", "weights", "results", "tmp", "logs"])
  mkdirSync(path.join(dataDir, dir), { recursive: true });
const dbFile = path.join(dataDir, "studio.db");
const databaseUrl = `file:${dbFile}`;
const logFile = path.join(dataDir, "services.log");
await migrateDatabase(databaseUrl);
const db = createDb(databaseUrl);
cleanups.push(() => db.$disconnect());

async function main() {
  const env = productEnv({ dataDir, databaseUrl });
  const inference = startInference(env, await freePort(), logFile);
  cleanups.push(() => inference.stop());
  const webPort = await freePort();
  const startWebServer = (nodeFlags: string[] = []) => {
    const web = startWeb(env, { port: webPort, inferenceUrl: inference.url, logFile, nodeFlags });
    cleanups.push(() => web.stop());
    return web;
  };
  let web = startWebServer();
  log(`starting the inference service and the web server (logs: ${logFile})`);
  await Promise.all([
    waitUntilUp(inference, "/health", logFile),
    waitUntilUp(web, "/api/auth/csrf", logFile),
  ]);

  // A user in a (non-personal) team with an API token, the weight and photos uploaded through
  // the web server's file routes, and the task that is polled, created through tRPC.
  const user = await makeUser(db);
  const teamId = (await makeTeam(db, [{ userId: user.id, role: "ADMIN" }])).id;
  const { token } = await createApiToken(db, user.id, { name: "server bench" });
  const bearer = { authorization: `Bearer ${token}` };
  const call = async (route: string, init: RequestInit = {}) => {
    const response = await fetch(`${web.url}${route}`, {
      ...init,
      headers: { ...bearer, ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${route.split("?")[0]}: HTTP ${response.status} ${text}`);
    return JSON.parse(text);
  };
  const sr = buildTinySrModel({ scale: 2 });
  const weightQuery = new URLSearchParams({
    teamId,
    taskKind: "super_resolution",
    name: "tiny-sr",
    family: "bench",
    version: "1",
    spec: JSON.stringify({ kind: "super_resolution", scale: 2, receptiveField: sr.receptiveField }),
  });
  const { weight } = await call(`/api/files/weights?${weightQuery}`, {
    method: "POST",
    body: sr.bytes,
  });
  if (weight.status !== "ready") throw new Error(`the weight is ${weight.status}, not ready`);
  const photo = readFileSync(fixturePath("chelsea.png"));
  const imageIds: string[] = [];
  for (let i = 0; i < 10; i++) {
    const { image } = await call(`/api/files/images?teamId=${teamId}&name=chelsea-${i}.png`, {
      method: "POST",
      body: photo,
    });
    imageIds.push(image.id);
  }
  const created = await call("/api/trpc/tasks.create", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      json: { teamId, weightId: weight.id, target: { type: "images", imageIds }, params: {} },
    }),
  });
  const taskId: string = created.result.data.json.id;

  // The busy queue: one-image tasks kept queued behind the worker for the whole run (created
  // in this process, as createTaskForTeam does for tasks.create, so the web server's CPU is
  // the polls').
  let fed = 0;
  let feeding = false;
  const feeder = setInterval(async () => {
    if (feeding) return;
    feeding = true;
    try {
      const queued = await db.task.count({ where: { teamId, status: "queued" } });
      for (let i = queued; i < 4; i++, fed++) {
        await createTaskForTeam(db, {
          teamId,
          userId: user.id,
          weightId: weight.id,
          target: { type: "image", imageId: imageIds[fed % imageIds.length] as string },
          params: {},
        });
      }
    } catch (error) {
      log(`queueing a task failed: ${(error as Error).message}`);
    } finally {
      feeding = false;
    }
  }, 500);
  cleanups.push(() => clearInterval(feeder));

  // The polled task is finished first, so every row polls the same answer.
  const deadline = Date.now() + 180_000;
  for (;;) {
    const task = await db.task.findUniqueOrThrow({
      where: { id: taskId },
      select: { status: true, error: true },
    });
    if (task.status === "succeeded") break;
    if (["failed", "partially_failed", "canceled"].includes(task.status) || Date.now() > deadline)
      throw new Error(`the polled task is ${task.status}: ${task.error ?? "timed out"}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  // A session cookie the way a browser gets one: next-auth's credentials callback.
  const csrfResponse = await fetch(`${web.url}/api/auth/csrf`);
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const csrfCookie = csrfResponse.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const signIn = await fetch(`${web.url}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    // The Origin header a browser sends; the app refuses state changes without one.
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: csrfCookie,
      origin: web.url,
    },
    body: new URLSearchParams({
      csrfToken,
      email: user.email,
      password: TEST_PASSWORD,
      callbackUrl: web.url,
      json: "true",
    }),
  });
  await signIn.arrayBuffer();
  const sessionCookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0] as string)
    .filter((c) => c.includes("session-token"))
    .join("; ");
  if (!sessionCookie) throw new Error(`signing in gave no session cookie (HTTP ${signIn.status})`);
  const cookie = { cookie: sessionCookie };

  const reference = await startReference(dbFile);
  cleanups.push(() => reference.stop());
  const python = pythonWithFastapi();
  const fastapi = python ? await startFastapiReference(python, dbFile) : null;
  if (fastapi) cleanups.push(() => fastapi.stop());
  else
    log(
      "no Python with fastapi and uvicorn found (Debian: apt-get install python3-fastapi python3-uvicorn): the FastAPI reference is left out",
    );

  const trpcUrl = (procedure: string, input: Record<string, unknown> = {}) =>
    `${web.url}/api/trpc/tasks.${procedure}?input=${encodeURIComponent(JSON.stringify({ json: { teamId, taskId, ...input } }))}`;
  // What a poller holding the current answer sends; the polled task is finished, so it stays.
  const { version } = (await call(trpcUrl("get").slice(web.url.length))).result.data.json;
  const ifUnchanged = trpcUrl("getIfChanged", { ifChanged: version });
  const referenceUrl = `${reference.url}/task?teamId=${teamId}&taskId=${taskId}`;
  const rows: Array<{
    name: string;
    url: string;
    headers: Record<string, string>;
    service: Service;
  }> = [
    ...(fastapi
      ? [
          {
            name: "reference (FastAPI + uvicorn + sqlite3)",
            url: `${fastapi.url}/task?teamId=${teamId}&taskId=${taskId}`,
            headers: bearer,
            service: fastapi,
          },
        ]
      : []),
    {
      name: "reference (node:http + better-sqlite3)",
      url: referenceUrl,
      headers: bearer,
      service: reference,
    },
    { name: "tasks.get, bearer token", url: trpcUrl("get"), headers: bearer, service: web },
    {
      name: "tasks.getIfChanged (unchanged), bearer token",
      url: ifUnchanged,
      headers: bearer,
      service: web,
    },
    { name: "tasks.status, bearer token", url: trpcUrl("status"), headers: bearer, service: web },
    { name: "tasks.get, session cookie", url: trpcUrl("get"), headers: cookie, service: web },
    {
      name: "tasks.getIfChanged (unchanged), session cookie",
      url: ifUnchanged,
      headers: cookie,
      service: web,
    },
    { name: "tasks.status, session cookie", url: trpcUrl("status"), headers: cookie, service: web },
  ];
  for (const row of rows) await expectOk(row.name, row.url, row.headers);
  const unchangedAnswer = (await fetch(ifUnchanged, { headers: bearer }).then((r) => r.json())) as {
    result?: { data?: { json?: { unchanged?: boolean } } };
  };
  if (unchangedAnswer?.result?.data?.json?.unchanged !== true)
    throw new Error(
      `tasks.getIfChanged did not answer unchanged: ${JSON.stringify(unchangedAnswer)}`,
    );

  const useWrk = values.wrk && wrkInstalled();
  if (values.wrk && !useWrk)
    log("wrk is not installed (Debian: apt-get install wrk): using load.ts");
  const load = async (
    row: (typeof rows)[number],
    options: { clients: number; timeoutMs?: number },
  ): Promise<LoadSummary> => {
    const common = {
      clients: options.clients,
      seconds,
      warmup,
      headers: row.headers,
      timeoutMs: options.timeoutMs,
      serverCpuMicros: () => groupCpuMicros(row.service.child.pid as number),
    };
    if (useWrk) return runWrk({ ...common, url: row.url });
    return summarize(await runLoad({ ...common, target: () => row.url }));
  };

  const results: Array<{ name: string; clients: number; result: LoadSummary; load: number }> = [];
  const measured = values.only
    ? rows.filter(
        (row) =>
          row.name.startsWith("reference") ||
          row.name.startsWith(`tasks.${values.only},`) ||
          (values.only === "get" && row.name.startsWith("tasks.getIfChanged")),
      )
    : rows;
  for (const row of measured) {
    log(`${row.name}: ${clients} connections, ${warmup} s warm-up + ${seconds} s`);
    const result = await load(row, { clients });
    results.push({ name: row.name, clients, result, load: loadavg()[0] ?? 0 });
  }

  const compareFlags = values["compare-node-flags"]?.split(/\s+/).filter(Boolean) ?? [];
  if (compareFlags.length > 0) {
    await web.stop();
    const flagged = startWebServer(compareFlags);
    await waitUntilUp(flagged, "/api/auth/csrf", logFile);
    for (const row of measured.filter((r) => r.service === web)) {
      const name = `${row.name}, node ${compareFlags.join(" ")}`;
      log(`${name}: ${clients} connections, ${warmup} s warm-up + ${seconds} s`);
      const result = await load({ ...row, service: flagged }, { clients });
      results.push({ name, clients, result, load: loadavg()[0] ?? 0 });
    }
    await flagged.stop();
    web = startWebServer();
    await waitUntilUp(web, "/api/auth/csrf", logFile);
  }

  let overloadNote = "";
  if (!values["no-overload"]) {
    const row = {
      ...(rows.find((r) => r.name === "tasks.status, bearer token") as (typeof rows)[number]),
      // The web server now running (a node-flags comparison restarts it).
      service: web,
    };
    log(`${row.name}: ${overloadClients} connections`);
    // A poll unanswered for 10 s is what a user sees as a hung page: counted as a timeout.
    const result = await load(row, { clients: overloadClients, timeoutMs: 10_000 });
    results.push({ name: row.name, clients: overloadClients, result, load: loadavg()[0] ?? 0 });
    const alive = web.child.exitCode === null && web.child.signalCode === null;
    const after = alive ? await fetch(row.url, { headers: row.headers }).then((r) => r.status) : 0;
    overloadNote = `After ${overloadClients} connections the web server is ${alive ? `alive and answers ${after}` : "DEAD"}.`;
  }

  let profileText = "";
  if (!values["no-profile"]) {
    const profileDir = path.resolve("bench-profiles");
    mkdirSync(profileDir, { recursive: true });
    await web.stop();
    web = startWebServer(["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
    await waitUntilUp(web, "/api/auth/csrf", logFile);
    const profiled = rows.find(
      (r) => r.name === `tasks.${values["profile-procedure"]}, bearer token`,
    );
    const row = { ...(profiled as (typeof rows)[number]), service: web };
    log(`profiling ${row.name}: ${clients} connections`);
    const startedAt = Date.now();
    // The measured window's start and end, to keep only its samples (start-up and warm-up
    // load modules and compile, which is not what the next request costs).
    const marks: number[] = [];
    await runLoad({
      clients,
      seconds,
      warmup,
      target: () => row.url,
      headers: row.headers,
      serverCpuMicros: () => {
        marks.push(performance.now());
        return 0;
      },
    });
    // The profile ends when the server exits, a few ms after the stop signal.
    const stoppingAt = performance.now();
    await web.stop();
    const [windowStart = 0, windowEnd = 0] = marks;
    const profile = readdirSync(profileDir)
      // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread (tsx's
      // loader has a thread of its own).
      .filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))
      .map((f) => path.join(profileDir, f))
      .filter((f) => statSync(f).mtimeMs >= startedAt)
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    const summary =
      profile &&
      summarizeProfile(profile, {
        window: { fromEndMs: stoppingAt - windowStart, toEndMs: stoppingAt - windowEnd },
      });
    profileText = summary
      ? `CPU profile of a web server started with --cpu-prof, the ${seconds} s measured window of that load: ${profile}\n\n${formatProfileSummary(summary)}`
      : `no CPU profile was written into ${profileDir}`;
  }

  // The goal of issue 15 is measured against FastAPI; without Python, against the node reference.
  const referenceRps = (results[0] as (typeof results)[number]).result.requestsPerSecond;
  const referenceName = fastapi ? "FastAPI" : "reference";
  const cpu = cpus();
  console.log(
    [
      "",
      `Polling the production server (apps/web/server.mjs, next build) with the inference worker running tiny x2 super-resolution tasks continuously (${fed} queued in this run); SQLite WAL in a fresh DATA_DIR; each row ${warmup} s warm-up + ${seconds} s measured, keep-alive connections polling back to back; the polled task is a finished 10-item task of a team the token's user is an admin of.`,
      `Machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores; Node ${process.version}; load average (1 min) ${loadAtStart.toFixed(1)} at start; load generator ${useWrk ? "wrk -t2" : "load.ts"}. Server CPU/request: CPU time of the server's process group (from /proc) in the window / successful requests.`,
      "",
      `| endpoint | connections | req/s | p50 | p99 | errors | server CPU/req | req/s vs ${referenceName} | load avg |`,
      "|---|---|---|---|---|---|---|---|---|",
      ...results.map(({ name, clients: n, result: s, load: avg }) => {
        const kinds = Object.entries(s.errorKinds)
          .map(([kind, count]) => `${kind}: ${count}`)
          .join(", ");
        return `| ${name} | ${n} | ${s.requestsPerSecond} | ${s.p50Ms} ms | ${s.p99Ms} ms | ${s.errors}${kinds ? ` (${kinds})` : ""} | ${s.serverCpuMsPerRequest} ms | ${(s.requestsPerSecond / referenceRps).toFixed(2)}x | ${avg.toFixed(1)} |`;
      }),
      "",
      overloadNote,
      "",
      profileText,
      "",
    ].join("\n"),
  );
}

/** One request that must answer 200 before a row is loaded (a wrong setup is not a benchmark). */
async function expectOk(name: string, url: string, headers: Record<string, string>) {
  const response = await fetch(url, { headers });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${name}: HTTP ${response.status} ${body}`);
  log(`${name}: ${Buffer.byteLength(body)} bytes per answer`);
}

/** reference-server.ts as its own process (group), so its CPU is measured like the web's. */
async function startReference(file: string): Promise<Service> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "reference-server.ts"), file],
    { cwd: import.meta.dirname, detached: true, stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the reference server exited with ${code}`)));
    child.stdout?.once("data", (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).url));
  });
  return {
    name: "reference",
    child,
    url,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      await exited;
    },
  };
}

/** A Python that has fastapi and uvicorn (Debian's python3 may sit behind a pyenv shim). */
function pythonWithFastapi(): string | null {
  for (const candidate of ["python3", "/usr/bin/python3"]) {
    const probe = spawnSync(candidate, ["-c", "import fastapi, uvicorn"], { stdio: "ignore" });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** reference_fastapi.py under uvicorn, in its own process group like the others. */
async function startFastapiReference(python: string, file: string): Promise<Service> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    python,
    [path.join(import.meta.dirname, "reference_fastapi.py"), file, String(port)],
    { cwd: import.meta.dirname, detached: true, stdio: ["ignore", "inherit", "inherit"] },
  );
  const service: Service = {
    name: "fastapi",
    child,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      await exited;
    },
  };
  await waitUntilUp(service, "/docs", logFile);
  return service;
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanup);
