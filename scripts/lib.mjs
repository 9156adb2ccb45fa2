// Helpers shared by the root scripts. These run on a machine that may have only Node.js 20
// and npm, so they use nothing but Node's standard library.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseEnv } from "node:util";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PNPM_VERSION = "10.34.8";
const localEnvFile = path.join(repoRoot, ".env.local");

export function log(message) {
  console.log(`\x1b[36m[studio]\x1b[0m ${message}`);
}

/** pnpm as installed, or fetched through the npm registry by npx when it is not. */
export function pnpmCommand() {
  const probe = spawnSync("pnpm", ["--version"], { encoding: "utf8" });
  if (probe.status === 0 && probe.stdout.trim().startsWith("10.")) return ["pnpm"];
  return ["npx", "--yes", `pnpm@${PNPM_VERSION}`];
}

/** Runs a command, inheriting stdio; throws with the command line when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", cwd: repoRoot, ...options });
  if (result.status !== 0) {
    throw new Error(
      `command failed (${result.status ?? result.signal}): ${command} ${args.join(" ")}`,
    );
  }
}

export function runPnpm(args, options = {}) {
  const [command, ...prefix] = pnpmCommand();
  run(command, [...prefix, ...args], options);
}

/**
 * tsx's loader as a URL for `node --import`, resolved from `packageDir`: a package's TypeScript
 * entry then runs in node itself, with no tsx CLI process in between to lose stop signals.
 */
export function tsxLoader(packageDir) {
  return pathToFileURL(createRequire(path.join(packageDir, "package.json")).resolve("tsx")).href;
}

/**
 * Starts `node ...args` as one of the product's services: in its own process group, so that
 * everything it starts (worker, preview and conversion processes) can be killed with it, and
 * with an IPC channel whose closing tells the service that its supervisor is gone.
 */
export function startNodeService(args, { cwd, env }) {
  const child = spawn(process.execPath, args, {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    // Without a pid the process never started and no exit event follows.
    child.once("error", (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
  });
  return { child, exited };
}

/** Sends `signal` to every process of a group; false when none is left. */
export function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `rootPid` right now, from /proc (Linux); empty where there is none. */
export function descendantPids(rootPid) {
  const children = new Map();
  let entries = [];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // The command name may contain spaces and parentheses; the fields after it do not.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const found = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const pid of children.get(queue.shift()) ?? []) {
      found.push(pid);
      queue.push(pid);
    }
  }
  return found;
}

/** Whether a process exists (a zombie waiting for its parent counts as gone). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/**
 * The secrets a fresh checkout needs, generated once into the git-ignored `.env.local` so a
 * new user sets nothing. Values already in the environment win.
 */
export function ensureLocalEnv() {
  const existing = existsSync(localEnvFile) ? parseEnv(readFileSync(localEnvFile, "utf8")) : {};
  const wanted = {
    NEXTAUTH_SECRET: () => randomBytes(32).toString("base64url"),
    INFERENCE_TOKEN: () => randomBytes(32).toString("base64url"),
  };
  let changed = false;
  for (const [key, make] of Object.entries(wanted)) {
    if (!existing[key]) {
      existing[key] = make();
      changed = true;
    }
  }
  if (changed) {
    const body = Object.entries(existing)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    writeFileSync(localEnvFile, `# Generated by scripts/setup.mjs; never commit.\n${body}\n`, {
      mode: 0o600,
    });
    log("wrote generated secrets to .env.local");
  }
  return existing;
}

/** The environment every process of the product starts with (defaults, then .env.local, then the caller's). */
export function productEnv(overrides = {}) {
  const dataDir = path.resolve(repoRoot, process.env.DATA_DIR ?? "data");
  const webPort = process.env.WEB_PORT ?? "3000";
  return {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? "skip",
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.DATABASE_URL ?? `file:${path.join(dataDir, "studio.db")}`,
    WEB_PORT: webPort,
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://localhost:${webPort}`,
    INFERENCE_HOST: process.env.INFERENCE_HOST ?? "127.0.0.1",
    INFERENCE_PORT: process.env.INFERENCE_PORT ?? "4010",
    INFERENCE_URL:
      process.env.INFERENCE_URL ?? `http://127.0.0.1:${process.env.INFERENCE_PORT ?? "4010"}`,
    ...ensureLocalEnv(),
    ...pickDefined(process.env, ["NEXTAUTH_SECRET", "INFERENCE_TOKEN"]),
    ...overrides,
  };
}

function pickDefined(source, keys) {
  return Object.fromEntries(keys.filter((k) => source[k]).map((k) => [k, source[k]]));
}
