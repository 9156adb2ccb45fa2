// Services take the store as their first argument so tests can pass the client of a
// throw-away SQLite file and the web app the shared one.
export type { Db, DbOrTx } from "@studio/db/client";
/** The process's shared client, for callers that do not bring their own (the web app). */
export { getDb, Prisma, providerOf } from "@studio/db/client";
