// `pnpm dev`: the same environment as `npm start`, with both processes in watch mode.
import { log, runPnpm } from "./lib.mjs";
import { setup } from "./setup.mjs";

const env = setup();
log(`dev servers starting; open ${env.NEXTAUTH_URL}`);
runPnpm(["exec", "turbo", "run", "dev"], { env });
