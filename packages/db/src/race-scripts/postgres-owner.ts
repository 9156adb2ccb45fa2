// Child process for postgres-server.test.ts: tsx postgres-owner.ts
// Starts a private cluster, prints {"dir","port"} and waits to be killed without stopping it.
import { startPostgresServer } from "../postgres-server";

const server = await startPostgresServer({ prefix: "studio-pg-owner-" });
process.stdout.write(`${JSON.stringify({ dir: server.dir, port: server.port })}\n`);
setInterval(() => {}, 60_000);
