// system.status when the inference service cannot be reached. The client is injected through
// the inner context and points at a port nobody listens on: a real refused connection. The
// reports of a running service: test/integration/system-status.test.ts.
import { createServer } from "node:net";
import { createInferenceClient } from "@studio/contracts/inference-client";
import { markNodeStopped, registerNode } from "@studio/db/nodes";
import { registerWorker } from "@studio/db/queue";
import { beforeAll, expect, it } from "vitest";
import { createInnerContext } from "../context";
import { createCaller } from "../index";
import { makeUser, type TestUser } from "../test-helpers";
import { useTestDb } from "../test-hooks";

const t = useTestDb();
let siteAdmin: TestUser;
let member: TestUser;
let downUrl: string;

/** A local port that was just free: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

const callerFor = async (user: TestUser) =>
  createCaller(
    await createInnerContext({
      db: t.db,
      userId: user.id,
      via: "session",
      inference: createInferenceClient({ baseUrl: downUrl, token: "t", retries: 0 }),
    }),
  );

beforeAll(async () => {
  siteAdmin = await makeUser(t.db, { siteAdmin: true });
  member = await makeUser(t.db);
  await registerWorker(t.db, { id: "secret-host:123", hostname: "secret-host", pid: 123 });
  const node = (id: string) => ({
    id,
    url: `http://${id}:4010`,
    hostname: id,
    pid: 1,
    device: "cpu",
    providers: ["cpu"],
    capacity: 2,
    version: "1",
    heartbeatMs: 2_000,
  });
  await registerNode(t.db, node("secret-node-a"));
  await registerNode(t.db, node("secret-node-b"));
  await markNodeStopped(t.db, { id: "secret-node-b" });
  downUrl = `http://127.0.0.1:${await closedPort()}`;
});

it("still reports the queue and tells members only that the service is unavailable", async () => {
  const status = await (await callerFor(member)).system.status();
  expect(status.detail).toBe("summary");
  expect(Object.keys(status.queue.tasks).sort()).toEqual(["queued", "running"]);
  expect(status.workers).toMatchObject({ total: 1, list: [] });
  expect(status.nodes).toEqual({ up: 1, total: 2, list: [] });
  expect(status.inference).toEqual({
    reachable: false,
    report: null,
    error: "The inference service is unavailable.",
  });
  expect(JSON.stringify(status)).not.toContain("secret-host");
  expect(JSON.stringify(status)).not.toContain("secret-node");
});

it("gives site admins the client's error, the worker list and every node with its state", async () => {
  const status = await (await callerFor(siteAdmin)).system.status();
  expect(status.detail).toBe("full");
  expect(status.workers.list.map((w) => w.hostname)).toEqual(["secret-host"]);
  expect(
    status.nodes.list.map(({ id, state, url, capacity }) => ({ id, state, url, capacity })),
  ).toEqual([
    { id: "secret-node-a", state: "up", url: "http://secret-node-a:4010", capacity: 2 },
    { id: "secret-node-b", state: "stopped", url: "http://secret-node-b:4010", capacity: 2 },
  ]);
  expect(status.inference).toEqual({
    reachable: false,
    report: null,
    error: "inference service unavailable",
  });
});
