// vitest setup file of the API's projects (vitest.config.ts). Their test files share one module
// cache per worker (`isolate: false`), and so one process.env: each file ends by putting back
// the environment the worker started with and dropping the API's parsed env, so that what one
// file set (DATA_DIR, NEXTAUTH_URL, TRUST_PROXY...) is not what the next one reads.
import { afterAll } from "vitest";
import { resetEnvForTests } from "./env";

/** Setup files run before each test file is imported: this is the environment it starts from. */
const atStart = { ...process.env };

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in atStart)) delete process.env[key];
  Object.assign(process.env, atStart);
  resetEnvForTests();
});
