// The production query lane answers byte for byte what tRPC's own handler answers (the general
// path, createApiHandler) for the same requests on the same store, successes and errors, single
// and batched; and it leaves every request it does not serve untouched for that handler.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../auth/tokens";
import { makeImage, makeTask, makeUser, makeWeight } from "../test-helpers";
import { useTestDb } from "../test-hooks";
import { createApiHandler, serveNode } from "./handler";
import { createQueryLane } from "./query-lane";

/** What the lane-only server answers for a request the lane leaves alone. */
const DECLINED = 599;

const t = useTestDb();
let laneServer: Server;
let laneUrl: string;
let general: Awaited<ReturnType<typeof serveNode>>;
let token: string;
let otherToken: string;
let teamId: string;
let taskId: string;
let otherTaskId: string;
let otherUserId: string;

/** Stands in for next-auth's cookie (tested in next-auth.test.ts): `studio-session=<user id>`. */
const getSession = async (request: { headers: { get(name: string): string | null } }) => {
  const match = /studio-session=([^;]+)/.exec(request.headers.get("cookie") ?? "");
  return match?.[1] ? { user: { id: match[1], sessionVersion: 0 } } : null;
};
let userId: string;

beforeAll(async () => {
  const lane = createQueryLane({ db: t.db, getSession });
  laneServer = createServer(async (req, res) => {
    if (await lane(req, res)) return;
    res.writeHead(DECLINED);
    res.end();
  });
  await new Promise<void>((resolve) => laneServer.listen(0, "127.0.0.1", resolve));
  laneUrl = `http://127.0.0.1:${(laneServer.address() as AddressInfo).port}`;
  general = await serveNode(createApiHandler({ db: t.db, getSession }));

  const user = await makeUser(t.db);
  const other = await makeUser(t.db);
  teamId = user.personalTeamId;
  userId = user.id;
  const weight = await makeWeight(t.db, { teamId });
  const images = [await makeImage(t.db, teamId, user.id), await makeImage(t.db, teamId, user.id)];
  taskId = (
    await makeTask(
      t.db,
      user,
      weight,
      images.map((image) => image.id),
    )
  ).id;
  otherUserId = other.id;
  const otherWeight = await makeWeight(t.db, { teamId: other.personalTeamId });
  const otherImage = await makeImage(t.db, other.personalTeamId, other.id);
  otherTaskId = (await makeTask(t.db, other, otherWeight, [otherImage.id])).id;
  ({ token } = await createApiToken(t.db, user.id, { name: "lane" }));
  ({ token: otherToken } = await createApiToken(t.db, other.id, { name: "other" }));
});
afterAll(async () => {
  laneServer.closeAllConnections();
  await new Promise((resolve) => laneServer.close(resolve));
  await general.close();
});

const input = (value: unknown) => encodeURIComponent(JSON.stringify(superjson.serialize(value)));
const batchInput = (values: unknown[]) =>
  encodeURIComponent(
    JSON.stringify(Object.fromEntries(values.map((v, i) => [i, superjson.serialize(v)]))),
  );

const withoutStacks = (body: string) => body.replace(/"stack":"(?:[^"\\]|\\.)*",/g, "");

async function both(path: string, headers: Record<string, string> = {}) {
  const [lane, reference] = await Promise.all(
    [laneUrl, general.url].map((base) => fetch(`${base}/api/trpc/${path}`, { headers })),
  );
  return { lane: lane as Response, reference: reference as Response };
}

describe("the production query lane", () => {
  const bearer = () => ({ authorization: `Bearer ${token}` });

  it("answers queries exactly as tRPC's handler does: successes, errors, batches", async () => {
    const cases: Array<{ path: string; headers?: Record<string, string>; status: number }> = [
      { path: `tasks.status?input=${input({ teamId, taskId })}`, headers: bearer(), status: 200 },
      { path: `tasks.get?input=${input({ teamId, taskId })}`, headers: bearer(), status: 200 },
      // Dates travel as superjson annotations.
      {
        path: `tasks.list?input=${input({ teamId, from: new Date(0), to: new Date() })}`,
        headers: bearer(),
        status: 200,
      },
      {
        path: `tasks.status,tasks.get?batch=1&input=${batchInput([
          { teamId, taskId },
          { teamId, taskId },
        ])}`,
        headers: bearer(),
        status: 200,
      },
      // A session cookie: a member, and a session of a user outside the team.
      {
        path: `tasks.status?input=${input({ teamId, taskId })}`,
        headers: { cookie: `studio-session=${userId}` },
        status: 200,
      },
      {
        path: `tasks.get?input=${input({ teamId, taskId })}`,
        headers: { cookie: `studio-session=${otherUserId}` },
        status: 404,
      },
      // No caller; a caller outside the team; a team task of somebody else; bad input.
      { path: `tasks.status?input=${input({ teamId, taskId })}`, status: 401 },
      {
        path: `tasks.status?input=${input({ teamId, taskId })}`,
        headers: { authorization: `Bearer ${otherToken}` },
        status: 404,
      },
      {
        path: `tasks.get?input=${input({ teamId, taskId: otherTaskId })}`,
        headers: bearer(),
        status: 404,
      },
      { path: `tasks.status?input=${input({ teamId })}`, headers: bearer(), status: 400 },
      { path: "teams.mine", headers: { authorization: "Bearer nope" }, status: 401 },
      // One good and one refused call in a batch: 207, each with its own answer.
      {
        path: `tasks.status,tasks.status?batch=1&input=${batchInput([
          { teamId, taskId },
          { teamId, taskId: otherTaskId },
        ])}`,
        headers: bearer(),
        status: 207,
      },
    ];
    for (const { path, headers, status } of cases) {
      const { lane, reference } = await both(path, headers);
      expect(lane.status, path).toBe(status);
      expect(reference.status, path).toBe(status);
      // Byte for byte but for the stack that development answers carry (the call sites differ).
      expect(withoutStacks(await lane.text()), path).toBe(withoutStacks(await reference.text()));
      for (const name of ["content-type", "vary", "content-security-policy", "x-frame-options"]) {
        expect(lane.headers.get(name), `${name} of ${path}`).toBe(reference.headers.get(name));
      }
    }
  });

  it("writes a kept task answer again only while the task is unchanged", async () => {
    const path = `tasks.get?input=${input({ teamId, taskId })}`;
    const first = await both(path, bearer());
    const kept = await first.lane.text();
    expect(kept).toBe(await first.reference.text());
    expect(await (await both(path, bearer())).lane.text()).toBe(kept);

    await t.db.task.update({ where: { id: taskId }, data: { name: "renamed while polled" } });
    const { lane, reference } = await both(path, bearer());
    const fresh = await lane.text();
    expect(fresh).not.toBe(kept);
    expect(
      superjson.parse<{ name: string }>(JSON.stringify(JSON.parse(fresh).result.data)).name,
    ).toBe("renamed while polled");
    expect(fresh).toBe(await reference.text());
  });

  it("leaves mutations, streaming calls, unknown paths and malformed input to tRPC's handler", async () => {
    const declined = [
      { path: `teams.create?input=${input({ name: "x" })}` },
      { path: "tasks.nope" },
      { path: "tasks.status?input=%7Bnot-json" },
      { path: `tasks.status,teams.create?batch=1&input=${batchInput([{}, {}])}` },
      { path: `${Array(21).fill("teams.mine").join(",")}?batch=1` },
      { path: "teams.mine?batch=1", headers: { "trpc-accept": "application/jsonl" } },
      { path: `tasks.status?input=${encodeURIComponent('{"json":{},"meta":{"values":[1]}}')}` },
    ];
    for (const { path, headers } of declined) {
      const { lane, reference } = await both(path, { ...bearer(), ...headers });
      expect(lane.status, path).toBe(DECLINED);
      expect(reference.status, path).not.toBe(DECLINED);
      await reference.arrayBuffer();
    }
  });
});
