// `pnpm dev`: the same environment as `npm start`, with both processes in watch mode.
//
// A SIGTERM or SIGINT sent to this process alone is passed to every process below it: the
// npx/pnpm layers in between would not pass it on, and turbo runs each watcher in a process group
// of its own, out of reach of a signal to ours. Whatever is still running 10 s later is killed.
import { spawn } from "node:child_process";
import { descendantPids, isAlive, log, pnpmCommand, repoRoot } from "./lib.mjs";
import { setup } from "./setup.mjs";

const GRACE_MS = 10_000;

const env = setup();
log(`dev servers starting; open ${env.NEXTAUTH_URL}`);
const [command, ...prefix] = pnpmCommand();
const turbo = spawn(command, [...prefix, "exec", "turbo", "run", "dev"], {
  cwd: repoRoot,
  env,
  stdio: "inherit",
});
const exited = new Promise((resolve) => {
  turbo.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  turbo.once("error", (error) => {
    log(`cannot start turbo: ${error.message}`);
    resolve(1);
  });
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  // Taken now: a process whose parent exits first is no longer found below this one.
  const tree = descendantPids(process.pid);
  for (const pid of tree) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + GRACE_MS;
  const check = setInterval(() => {
    const left = tree.filter(isAlive);
    if (left.length > 0 && Date.now() < deadline) return;
    clearInterval(check);
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    log(left.length > 0 ? `stopped (killed ${left.length} processes)` : "stopped");
    process.exit(left.length > 0 ? 1 : 0);
  }, 100);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(signal));

const code = await exited;
if (!stopping) process.exit(code);
