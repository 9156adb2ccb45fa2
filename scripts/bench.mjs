// `pnpm bench`: runs every package's benchmark script (each prints its own table).
import { log, runPnpm } from "./lib.mjs";
import { setup } from "./setup.mjs";

const env = setup();
// The API's server benchmark measures the production build, as `npm start` serves it.
log("building the web app");
runPnpm(["exec", "turbo", "run", "build", "--filter=@studio/web"], { env });
log("running benchmarks (numbers depend on the machine; see README, Performance)");
runPnpm(["-r", "--workspace-concurrency=1", "--if-present", "bench"], { env });
