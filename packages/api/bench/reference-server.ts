// The reference service of server-polling.ts (issue 15): what a user of the original Python
// systems would write for "poll my task" (there a FastAPI + uvicorn app; Python packages cannot
// be installed here, so the same thing on bare node:http + better-sqlite3). One process, the
// product's SQLite file in WAL mode with a busy timeout, per request: the bearer token's sha256
// looked up in ApiToken joined to its user (as verifyApiToken does), then one SELECT of the
// task row of the team, answered as JSON. No membership check, no output validation: that is
// the point of comparison.
//   node --import tsx reference-server.ts <sqlite file>   (prints {"url": ...} on stdout)
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

/** The part of better-sqlite3's API used here (its types belong to @studio/db). */
interface Statement {
  get(...params: unknown[]): Record<string, unknown> | undefined;
}
interface Database {
  pragma(source: string): unknown;
  prepare(source: string): Statement;
}
type DatabaseConstructor = new (file: string) => Database;

const [file] = process.argv.slice(2);
if (!file) throw new Error("usage: reference-server.ts <sqlite file>");

// better-sqlite3 is a dependency of @studio/db, not of this package: resolve it from there.
const requireFromDb = createRequire(path.resolve(import.meta.dirname, "../../db/package.json"));
const BetterSqlite3 = requireFromDb("better-sqlite3") as DatabaseConstructor;
const db = new BetterSqlite3(file);
db.pragma("journal_mode = WAL");
db.pragma("busy_timeout = 5000");

const tokenQuery = db.prepare(`
  SELECT t."id" AS "tokenId", t."revokedAt", t."expiresAt", u."id" AS "userId"
  FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId"
  WHERE t."tokenHash" = ?`);
const taskQuery = db.prepare(`
  SELECT "id", "status", "progress", "itemCount", "itemsDone", "itemsFailed", "device",
    "error", "createdAt", "startedAt", "finishedAt"
  FROM "Task" WHERE "id" = ? AND "teamId" = ?`);

function send(res: import("node:http").ServerResponse, status: number, body: unknown) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(json),
  });
  res.end(json);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://reference");
  const auth = req.headers.authorization ?? "";
  const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
  const row = token
    ? tokenQuery.get(createHash("sha256").update(token, "utf8").digest("hex"))
    : undefined;
  const expiresAt = row?.expiresAt as number | null | undefined;
  if (!row || row.revokedAt != null || (expiresAt != null && expiresAt <= Date.now())) {
    send(res, 401, { detail: "Not authenticated" });
    return;
  }
  const task = taskQuery.get(url.searchParams.get("taskId"), url.searchParams.get("teamId"));
  if (!task) send(res, 404, { detail: "Not found" });
  else send(res, 200, task);
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
