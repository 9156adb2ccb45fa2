// `npm start`: installs what is missing, builds the web app and starts the web app and the
// inference service with the embedded defaults (SQLite, local files, CPU, official weights).
import { log, runPnpm, spawnPnpm } from "./lib.mjs";
import { setup } from "./setup.mjs";

const env = setup();
if (!process.argv.includes("--no-build")) {
  log("building the web app");
  runPnpm(["exec", "turbo", "run", "build", "--filter=@studio/web"], { env });
}

const children = [
  spawnPnpm(["--filter", "@studio/inference", "start"], { env }),
  spawnPnpm(["--filter", "@studio/web", "exec", "next", "start", "-p", env.WEB_PORT], { env }),
];
log(`open ${env.NEXTAUTH_URL} (the first account you register becomes site admin)`);

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill(signal);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(signal));
for (const child of children) {
  child.on("exit", (code) => {
    if (!stopping) {
      log(`a process exited (${code}); stopping the others`);
      stop("SIGTERM");
      process.exitCode = code ?? 1;
    }
  });
}
