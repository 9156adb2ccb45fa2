// `npm start`: installs what is missing, builds the web app and starts the web app and the
// inference service with the embedded defaults (SQLite, local files, CPU, official weights).
//
// Both services run as plain `node` processes started here (no pnpm, npx or tsx CLI layer, which
// do not pass stop signals on), each in its own process group. SIGTERM or SIGINT to this process
// is passed to both; they stop in order (the worker finishes or hands back its task, conversions
// and preview processes are stopped, the web server answers the requests in flight). Whatever is
// still running after the grace period is killed with its whole process group. Exit code 0 after
// a clean stop; 1 when something had to be killed or a service failed. The root package.json
// runs this with `exec`, so that npm signals this process and not a shell that would die
// without passing the signal on.
import path from "node:path";
import {
  log,
  productEnv,
  repoRoot,
  runPnpm,
  signalGroup,
  startNodeService,
  tsxLoader,
} from "./lib.mjs";
import { setup } from "./setup.mjs";

const INFERENCE_DIR = path.join(repoRoot, "apps/inference");
const WEB_DIR = path.join(repoRoot, "apps/web");

// `--no-setup` (with `--no-build`): only start the services, once setup and the build have run,
// e.g. under a process manager, or beside other processes that use this checkout's files.
const env = process.argv.includes("--no-setup") ? productEnv() : setup();
if (!process.argv.includes("--no-build")) {
  log("building the web app");
  runPnpm(["exec", "turbo", "run", "build", "--filter=@studio/web"], { env });
}

// The inference service may take WORKER_DRAIN_MS to let a task finish, then up to its own
// 15 s margin to hand it back; the web server needs 10 s at most.
const drainMs = Number(env.WORKER_DRAIN_MS ?? 20_000);
const GRACE_MS = (Number.isFinite(drainMs) && drainMs >= 0 ? drainMs : 20_000) + 25_000;

const services = [
  {
    name: "inference",
    ...startNodeService(["--import", tsxLoader(INFERENCE_DIR), "src/main.ts"], {
      cwd: INFERENCE_DIR,
      env,
    }),
  },
  { name: "web", ...startNodeService(["server.mjs"], { cwd: WEB_DIR, env }) },
];
log(`open ${env.NEXTAUTH_URL} (the first account you register becomes site admin)`);

let stopping = false;
let failure;
let forced = [];

function stop(signal, why) {
  if (stopping) return;
  stopping = true;
  log(`${why}: stopping (up to ${Math.round(GRACE_MS / 1000)} s)`);
  for (const { child } of services) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
  setTimeout(() => {
    for (const { name, child } of services) {
      if (child.exitCode === null && child.signalCode === null) {
        forced.push(name);
        signalGroup(child.pid, "SIGKILL");
      }
    }
  }, GRACE_MS).unref();
}

// Run as a package script (`npm start`): if that process goes away first (killed outright, or
// a shell layer that died on SIGTERM without passing it on), stop as on SIGTERM rather than run
// on orphaned. Started directly (`nohup node scripts/start.mjs &`), the launching shell may go.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop("SIGTERM", "the package manager that started this is gone");
  }, 1000).unref();
}

// A second signal while stopping (npm passes on the terminal's Ctrl-C, which reached us too)
// changes nothing: the grace period above bounds the stop.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(signal, signal));

for (const { name, child, exited } of services) {
  void exited.then(({ code, signal, error }) => {
    // Anything the service started and left behind goes with it.
    if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
    if (!stopping) {
      failure ??= `${name} ${error ? `could not start (${error.message})` : `exited (${signal ?? `code ${code}`})`}`;
      stop("SIGTERM", failure);
    } else if (code !== 0 && !forced.includes(name)) {
      failure ??= `${name} exited with ${signal ?? `code ${code}`} while stopping`;
    }
  });
}

await Promise.all(services.map((s) => s.exited));
forced = [...new Set(forced)];
if (forced.length > 0) {
  log(`stopped (killed after ${Math.round(GRACE_MS / 1000)} s: ${forced.join(", ")})`);
  process.exit(1);
}
if (failure) {
  log(`stopped (${failure})`);
  process.exit(1);
}
log("stopped");
process.exit(0);
