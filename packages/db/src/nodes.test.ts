import { describe, expect, it } from "vitest";
import { listNodes, markNodeStopped, nodeHeartbeat, registerNode } from "./nodes";
import { freshStoreEach } from "./test-hooks";
import { PROVIDERS } from "./testing";

const announcement = (id: string, now: Date) => ({
  id,
  url: `http://${id}:4010`,
  hostname: id,
  pid: 100,
  device: "cpu",
  providers: ["cpu"],
  capacity: 3,
  version: "1.0.0",
  heartbeatMs: 2_000,
  now,
});

describe.each(PROVIDERS)("the node registry on %s", (provider) => {
  const store = freshStoreEach(provider);

  it("shows a heartbeating node up with its load and weights, a silent one down, a stopped one stopped", async () => {
    const t0 = new Date("2026-12-02T10:00:00Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    await registerNode(store.db, announcement("alpha", t0));
    await registerNode(store.db, announcement("beta", t0));
    await registerNode(store.db, announcement("gamma", t0));
    expect(
      await nodeHeartbeat(store.db, {
        id: "alpha",
        load: 2,
        weights: ["a".repeat(64)],
        now: at(9_000),
      }),
    ).toBe(true);
    await markNodeStopped(store.db, { id: "gamma", now: at(1_000) });

    const nodes = await listNodes(store.db, { now: at(12_000) });
    expect(
      nodes.map(({ id, state, load, weights, capacity, providers, url }) => ({
        id,
        state,
        load,
        weights,
        capacity,
        providers,
        url,
      })),
    ).toEqual([
      {
        id: "alpha",
        state: "up",
        load: 2,
        weights: ["a".repeat(64)],
        capacity: 3,
        providers: ["cpu"],
        url: "http://alpha:4010",
      },
      {
        id: "beta",
        state: "down",
        load: 0,
        weights: [],
        capacity: 3,
        providers: ["cpu"],
        url: "http://beta:4010",
      },
      {
        id: "gamma",
        state: "stopped",
        load: 0,
        weights: [],
        capacity: 3,
        providers: ["cpu"],
        url: "http://gamma:4010",
      },
    ]);
  });

  it("lets a restarted node rejoin under its id, and forgets nodes not heard of for long", async () => {
    const t0 = new Date("2026-12-02T10:00:00Z");
    await registerNode(store.db, announcement("alpha", t0));
    await markNodeStopped(store.db, { id: "alpha", now: t0 });
    const later = new Date(t0.getTime() + 60_000);
    await registerNode(store.db, { ...announcement("alpha", later), url: "http://alpha:4020" });
    expect(await listNodes(store.db, { now: later })).toMatchObject([
      { id: "alpha", state: "up", url: "http://alpha:4020", startedAt: later },
    ]);
    expect(await nodeHeartbeat(store.db, { id: "nobody", load: 0, weights: [] })).toBe(false);
    const nextWeek = new Date(t0.getTime() + 7 * 86_400_000);
    expect(await listNodes(store.db, { now: nextWeek })).toEqual([]);
  });
});
