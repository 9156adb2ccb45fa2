// createCaller for tests, kept apart from test-helpers so auth tests need not load routers.
import { createInnerContext } from "./context";
import type { Db } from "./db";
import { createCaller } from "./index";
import { makeWeight } from "./test-helpers";

export async function callerFor(
  db: Db,
  userId: string | null,
  via: "session" | "token" = "session",
) {
  return createCaller(await createInnerContext({ db, userId, via: userId ? via : null }));
}

type Caller = Awaited<ReturnType<typeof callerFor>>;

/** A task queued by `caller` on a new weight of the team, as the task page queues one. */
export async function queueTask(
  db: Db,
  caller: Caller,
  teamId: string,
  target: Parameters<Caller["tasks"]["create"]>[0]["target"],
) {
  const weight = await makeWeight(db, { teamId });
  const task = await caller.tasks.create({ teamId, weightId: weight.id, target, params: {} });
  return { weight, task };
}
