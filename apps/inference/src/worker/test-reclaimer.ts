// A second worker's lease maintenance as its own process, for lease tests: while the process
// under test is busy in a model run, this one reclaims every task whose lease has expired, as
// any other worker of the installation would. Prints one JSON line per reclaim and a summary
// line when its stdin closes.
import { createDb } from "@studio/db/client";
import { reclaimExpiredLeases } from "@studio/db/queue";

const [databaseUrl, every] = process.argv.slice(2);
if (!databaseUrl || !every) throw new Error("usage: test-reclaimer.ts <databaseUrl> <everyMs>");
const db = createDb(databaseUrl);
let reclaimed = 0;
let sweeps = 0;
let stopping = false;
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  stopping = true;
});
while (!stopping) {
  const r = await reclaimExpiredLeases(db, { backoff: { baseMs: 60_000 } });
  sweeps++;
  if (r.reclaimed > 0) {
    reclaimed += r.reclaimed;
    process.stdout.write(`${JSON.stringify({ reclaim: r })}\n`);
  }
  await new Promise((resolve) => setTimeout(resolve, Number(every)));
}
process.stdout.write(`${JSON.stringify({ done: true, reclaimed, sweeps })}\n`);
await db.$disconnect();
process.exit(0);
