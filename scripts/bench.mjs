// `pnpm bench`: runs every package's benchmark script (each prints its own table).
import { log, runPnpm } from "./lib.mjs";
import { setup } from "./setup.mjs";

const env = setup();
log("running benchmarks (numbers depend on the machine; see README, Performance)");
runPnpm(["-r", "--workspace-concurrency=1", "--if-present", "bench"], { env });
