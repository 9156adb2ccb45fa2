// Stopping the product stops it: a stop signal to the top process (`npm start`, scripts/start.mjs,
// or the inference service started alone) ends every process it started, frees the ports, prints
// its closing line and leaves no temporary file, with no usable pnpm on PATH. Real processes,
// real ports, the real web build (scripts/test.mjs builds it before the suite).
//
// The product starts with `--no-build --no-setup`: scripts/test.mjs has just run setup and the
// build, and setup's `prisma generate` rewrites the generated client in this checkout, which
// test files running beside this one are loading. The store is migrated here instead.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { migrateDatabase } from "@studio/db/migrate";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../e2e/harness";
import { INFERENCE_DIR, REPO_ROOT } from "../e2e/paths";

/** Start-up of both services, Next.js included, on a busy machine: generous. */
const READY_MS = 240_000;
/** Idle services stop in a few seconds; this only catches a stop that never ends. */
const STOP_MS = 60_000;

let scratch: string;
/** A `pnpm` that is not there: what a machine with Node.js and npm alone has. */
let noPnpmBin: string;
const running: ChildProcess[] = [];
/** Every process a test saw in a tree: a failed test kills what is left, orphaned or not. */
const seen = new Set<number>();

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "studio-stop-"));
  noPnpmBin = join(scratch, "bin");
  mkdirSync(noPnpmBin);
  writeFileSync(
    join(noPnpmBin, "pnpm"),
    '#!/bin/sh\necho "pnpm: command not found" >&2\nexit 127\n',
  );
  chmodSync(join(noPnpmBin, "pnpm"), 0o755);
});

afterEach(() => {
  // A failed test must not leave its product running for the next one.
  for (const child of running.splice(0)) {
    if (child.pid === undefined) continue;
    for (const pid of descendants(child.pid)) seen.add(pid);
    seen.add(child.pid);
  }
  for (const pid of seen) {
    try {
      if (alive(pid)) process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  seen.clear();
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

// --- processes, from /proc ---------------------------------------------------------------

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(Number(name));
    if (ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const pid of children.get(queue.shift() as number) ?? []) {
      found.push(pid);
      queue.push(pid);
      seen.add(pid);
    }
  }
  return found;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** The processes of `pids` still alive once the tree had `withinMs` to finish exiting. */
async function survivors(pids: number[], withinMs = STOP_MS): Promise<string[]> {
  const end = Date.now() + withinMs;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
  }
  return left.map((pid) => `${pid}: ${commandLine(pid)}`);
}

// --- ports and readiness ---------------------------------------------------------------------

/** Whether this process could listen on `port` now (nothing else holds it). */
async function portFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once("error", () => resolveFree(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolveFree(true)));
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

type Env = Record<string, string | undefined>;

function start(command: string, args: string[], cwd: string, env: Env): Started {
  const child = spawn(command, args, {
    cwd,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function waitUntilAnswering(urls: string[], started: Started): Promise<void> {
  const end = Date.now() + READY_MS;
  const pending = new Set(urls);
  while (pending.size > 0) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      throw new Error(`exited before answering:\n${started.output().slice(-6000)}`);
    }
    if (Date.now() > end) {
      throw new Error(
        `${[...pending].join(", ")} not answering:\n${started.output().slice(-6000)}`,
      );
    }
    for (const url of [...pending]) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        if (res.ok) pending.delete(url);
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function exitWithin(started: Started, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    started.exited,
    new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), ms);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    throw new Error(
      `still running ${ms / 1000} s after the signal:\n${started.output().slice(-6000)}`,
    );
  }
  return outcome;
}

/** What a user's shell would hand the product: no test-runner or package-manager variables. */
function userEnv(extra: Record<string, string>): Env {
  const env: Env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^(npm_|VITEST|NODE_ENV$|NODE_OPTIONS$|DATA_DIR$|DATABASE_URL$|INFERENCE_|WEB_|NEXTAUTH_)/.test(
        key,
      )
    )
      continue;
    env[key] = value;
  }
  return { ...env, PATH: `${noPnpmBin}:${process.env.PATH}`, ...extra };
}

/** A fresh DATA_DIR. */
function dataDir(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Files left under DATA_DIR/tmp (temporary and half-written files live only there). */
function tmpLeft(dir: string): string[] {
  const tmp = join(dir, "tmp");
  return existsSync(tmp) ? readdirSync(tmp) : [];
}

// --- the whole product -----------------------------------------------------------------------

async function startProduct(how: "npm start" | "node scripts/start.mjs", name: string) {
  const [webPort, inferencePort] = [await freePort(), await freePort()];
  const data = dataDir(name);
  const databaseUrl = `file:${join(data, "studio.db")}`;
  await migrateDatabase(databaseUrl);
  const env = userEnv({
    DATA_DIR: data,
    DATABASE_URL: databaseUrl,
    WEB_PORT: String(webPort),
    INFERENCE_PORT: String(inferencePort),
    NEXTAUTH_SECRET: randomBytes(32).toString("hex"),
    INFERENCE_TOKEN: randomBytes(24).toString("hex"),
    LOG_TO_FILE: "false",
  });
  const args = ["--no-build", "--no-setup"];
  const started =
    how === "npm start"
      ? start("npm", ["start", "--", ...args], REPO_ROOT, env)
      : start(process.execPath, ["scripts/start.mjs", ...args], REPO_ROOT, env);
  await waitUntilAnswering(
    [`http://127.0.0.1:${webPort}/api/auth/csrf`, `http://127.0.0.1:${inferencePort}/health`],
    started,
  );
  return { started, top: started.child.pid as number, webPort, inferencePort, data };
}

describe.each([
  { how: "npm start" as const, signal: "SIGTERM" as const },
  { how: "node scripts/start.mjs" as const, signal: "SIGINT" as const },
])("$how, stopped with $signal", ({ how, signal }) => {
  it("stops every process it started, frees both ports and says so", async () => {
    const { started, top, webPort, inferencePort, data } = await startProduct(
      how,
      `product-${signal}`,
    );

    const tree = descendants(top);
    const commands = tree.map(commandLine);
    // The tree reaches down to the grandchildren: both services, the worker, a preview process.
    for (const part of ["server.mjs", "src/main.ts", "worker/main.ts", "preview/child.ts"]) {
      expect(
        commands.some((c) => c.includes(part)),
        `${part} in ${commands.join("\n")}`,
      ).toBe(true);
    }

    process.kill(top, signal);
    const { code } = await exitWithin(started, STOP_MS);

    expect(await survivors(tree)).toEqual([]);
    expect(stripVTControlCharacters(started.output())).toMatch(/^\[studio\] stopped$/m);
    expect(code).toBe(0);
    expect(await portFree(webPort)).toBe(true);
    expect(await portFree(inferencePort)).toBe(true);
    expect(tmpLeft(data)).toEqual([]);
  }, 400_000);
});

describe("a service that dies on its own", () => {
  it("takes the other one down with it, and the exit code says so", async () => {
    const { started, top, webPort, inferencePort } = await startProduct(
      "node scripts/start.mjs",
      "product-crash",
    );
    const tree = descendants(top);
    const web = tree.find((pid) => commandLine(pid).endsWith("server.mjs"));
    expect(web).toBeDefined();

    process.kill(web as number, "SIGKILL");
    const { code } = await exitWithin(started, STOP_MS);

    expect(code).toBe(1);
    expect(stripVTControlCharacters(started.output())).toMatch(
      /^\[studio\] stopped \(web exited \(SIGKILL\)\)$/m,
    );
    expect(await survivors(tree)).toEqual([]);
    expect(await portFree(webPort)).toBe(true);
    expect(await portFree(inferencePort)).toBe(true);
  }, 400_000);
});

// --- the inference service alone ------------------------------------------------------------

describe("the inference service started alone", () => {
  const tsxLoader = pathToFileURL(
    createRequire(join(INFERENCE_DIR, "package.json")).resolve("tsx"),
  ).href;

  async function startInference() {
    const holds = join(scratch, `holds-${randomBytes(4).toString("hex")}`);
    mkdirSync(holds);
    const port = await freePort();
    const data = dataDir(`inference-${randomBytes(4).toString("hex")}`);
    const databaseUrl = `file:${join(data, "studio.db")}`;
    await migrateDatabase(databaseUrl);
    const token = randomBytes(24).toString("hex");
    // What `pnpm --filter @studio/inference start` runs.
    const started = start(
      process.execPath,
      ["--import", tsxLoader, "src/main.ts"],
      INFERENCE_DIR,
      userEnv({
        DATA_DIR: data,
        DATABASE_URL: databaseUrl,
        INFERENCE_PORT: String(port),
        INFERENCE_TOKEN: token,
        LOG_TO_FILE: "false",
        // Only for the hold hook of the conversion tests (ignored otherwise).
        NODE_ENV: "test",
        INFERENCE_TEST_HOLD_DIR: holds,
      }),
    );
    await waitUntilAnswering([`http://127.0.0.1:${port}/health`], started);
    return { started, port, data, token, holds, url: `http://127.0.0.1:${port}` };
  }

  it("SIGTERM: stops its worker and preview processes, frees the port and exits 0", async () => {
    const { started, port, data } = await startInference();
    const tree = descendants(started.child.pid as number);
    const commands = tree.map(commandLine);
    expect(commands.some((c) => c.includes("worker/main.ts"))).toBe(true);
    expect(commands.some((c) => c.includes("preview/child.ts"))).toBe(true);

    process.kill(started.child.pid as number, "SIGTERM");
    const { code } = await exitWithin(started, STOP_MS);

    expect(code).toBe(0);
    expect(started.output()).toMatch(/"msg":"stopped"/);
    expect(await survivors(tree)).toEqual([]);
    expect(await portFree(port)).toBe(true);
    expect(tmpLeft(data)).toEqual([]);
  }, 200_000);

  /**
   * Starts an NCNN conversion (in [1,3,H,W] -> 1x1 convolution -> nearest x2) and holds it
   * half-way through writing its output (isolated/hold.ts): the conversion is surely in flight,
   * with a half-written file on disk, whatever the speed of this machine.
   */
  async function heldConversion(service: Awaited<ReturnType<typeof startInference>>) {
    const { data, token, url, holds, started } = service;
    // The web app stages uploads under incoming/ in the blob store (here: this node's folder).
    mkdirSync(join(data, "incoming"), { recursive: true });
    writeFileSync(
      join(data, "incoming/net.param"),
      "7767517\n3 3\nInput            in      0 1 data\nConvolution      conv    1 1 data c 0=3 1=1 5=1 6=9\nInterp           up      1 1 c out 0=1 1=2.0 2=2.0\n",
    );
    writeFileSync(
      join(data, "incoming/net.bin"),
      new Uint8Array([
        ...new Uint8Array(4),
        ...new Uint8Array(Float32Array.from([2, 0, 0, 0, 1, 0, 0, 0, -1, 0.5, 0, 0]).buffer),
      ]),
    );
    writeFileSync(join(holds, "convert-writing.hold"), "");
    const answer = fetch(`${url}/v1/weights/convert`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "ncnn", param: "incoming/net.param", bin: "incoming/net.bin" }),
    });
    // Without this a connection reset after a SIGKILL would be an unhandled rejection.
    answer.catch(() => undefined);
    const reachedFile = join(holds, "convert-writing.reached");
    const end = Date.now() + READY_MS;
    while (!existsSync(reachedFile)) {
      if (Date.now() > end) throw new Error(`the conversion never started:\n${started.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const converter = Number(readFileSync(reachedFile, "utf8"));
    expect(tmpLeft(data)).toEqual([expect.stringMatching(/\.onnx\.part\.writing$/)]);
    return { answer, converter };
  }

  it("SIGTERM during a conversion: the conversion is stopped, answered 503, and leaves no file", async () => {
    const service = await startInference();
    const { started, data } = service;
    const { answer, converter } = await heldConversion(service);
    const tree = descendants(started.child.pid as number);
    expect(tree).toContain(converter);

    process.kill(started.child.pid as number, "SIGTERM");
    const res = await answer;
    const { code } = await exitWithin(started, STOP_MS);

    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /stopping; try again/,
    );
    expect(code).toBe(0);
    expect(await survivors(tree)).toEqual([]);
    expect(tmpLeft(data)).toEqual([]);
    // Nothing was stored for the caller: only its own staged inputs remain.
    expect(readdirSync(join(data, "incoming")).sort()).toEqual(["net.bin", "net.param"]);
  }, 200_000);

  it("SIGKILL: every child process notices and exits by itself", async () => {
    const service = await startInference();
    const { started, port } = service;
    const { converter } = await heldConversion(service);
    const tree = descendants(started.child.pid as number);
    const commands = tree.map(commandLine);
    expect(commands.some((c) => c.includes("worker/main.ts"))).toBe(true);
    expect(commands.some((c) => c.includes("preview/child.ts"))).toBe(true);
    expect(tree).toContain(converter);

    process.kill(started.child.pid as number, "SIGKILL");
    await exitWithin(started, STOP_MS);

    // Nobody signalled them: they saw their IPC channel (or stdin) close.
    expect(await survivors(tree, STOP_MS)).toEqual([]);
    expect(await portFree(port)).toBe(true);
  }, 200_000);
});
