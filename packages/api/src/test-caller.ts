// createCaller for tests, kept apart from test-helpers so auth tests need not load routers.
import { createInnerContext } from "./context";
import type { Db } from "./db";
import { createCaller } from "./index";

export async function callerFor(
  db: Db,
  userId: string | null,
  via: "session" | "token" = "session",
) {
  return createCaller(await createInnerContext({ db, userId, via: userId ? via : null }));
}
