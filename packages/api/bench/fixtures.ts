// The store both benchmarks poll: one user with a token, 50 images, a 50-item task (the one
// the simulated worker runs) and a 10-item task.
import type { Db } from "@studio/db/client";
import { createApiToken } from "../src/auth/tokens";
import { makeImage, makeTask, makeUser, makeWeight } from "../src/test-helpers";

export async function seedPollingStore(db: Db) {
  const user = await makeUser(db);
  const weight = await makeWeight(db, { teamId: user.personalTeamId });
  const imageIds: string[] = [];
  for (let i = 0; i < 50; i++)
    imageIds.push((await makeImage(db, user.personalTeamId, user.id, `i${i}.png`)).id);
  const running = await makeTask(db, user, weight, imageIds);
  const polled = await makeTask(db, user, weight, imageIds.slice(0, 10));
  const { token } = await createApiToken(db, user.id, { name: "bench" });
  return { user, token, taskIds: [running.id, polled.id] };
}
