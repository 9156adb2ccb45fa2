// The auth cache's promise (auth/auth-cache.ts) over real HTTP (createApiHandler on node:http, a
// real SQLite store): a revoked token, a password change, a role change and a removal made through
// the API count from the very next request, however warm the cache; a change made by another
// process (written straight into the store here) counts once AUTH_CACHE_TTL_MS has passed. The
// cache's clock is moved by hand, so nothing waits and nothing depends on the machine's speed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AUTH_CACHE_TTL_MS,
  cachedAuthLookup,
  forgetAuth,
  setAuthCacheClockForTests,
} from "../auth/auth-cache";
import { createApiToken } from "../auth/tokens";
import { makeTeam, makeUser, TEST_PASSWORD } from "../test-helpers";
import { useTestDb } from "../test-hooks";
import { useTempDataDir } from "./files/test-context";
import { createApiHandler, serveNode } from "./handler";

const APP = "http://studio.test";
const t = useTestDb();
let data: ReturnType<typeof useTempDataDir>;
let server: Awaited<ReturnType<typeof serveNode>>;
let now = 0;

beforeAll(async () => {
  data = useTempDataDir({ NEXTAUTH_URL: `${APP}/` });
  setAuthCacheClockForTests(() => now);
  // Stands in for next-auth (tested with the real cookie in next-auth.test.ts): the cookie names
  // the user and the session version it was issued with.
  const handler = createApiHandler({
    db: t.db,
    getSession: async (request) => {
      const match = /studio-session=([^.;]+)\.(\d+)/.exec(request.headers.get("cookie") ?? "");
      return match ? { user: { id: match[1], sessionVersion: Number(match[2]) } } : null;
    },
  });
  server = await serveNode(handler);
});
afterEach(() => {
  now += 10 * AUTH_CACHE_TTL_MS;
});
afterAll(async () => {
  setAuthCacheClockForTests(null);
  await server.close();
  data.cleanup();
});

type Caller = { authorization: string } | { cookie: string };
const bearer = (token: string): Caller => ({ authorization: `Bearer ${token}` });
const session = (userId: string, version = 0): Caller => ({
  cookie: `studio-session=${userId}.${version}`,
});

/** One tRPC call; answers the HTTP status and tRPC's error code (null on success). */
async function call(caller: Caller, path: string, input: unknown, kind: "query" | "mutation") {
  const url =
    kind === "query"
      ? `${server.url}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`
      : `${server.url}/api/trpc/${path}`;
  const response = await fetch(url, {
    method: kind === "query" ? "GET" : "POST",
    headers: {
      ...caller,
      // What the browser sends with a cookie-authenticated change (the cross-site check).
      ...(kind === "mutation" ? { "content-type": "application/json", origin: APP } : {}),
    },
    body: kind === "mutation" ? JSON.stringify({ json: input }) : undefined,
  });
  const body = (await response.json()) as { error?: { json: { data: { code: string } } } };
  return { status: response.status, code: body.error?.json.data.code ?? null };
}
const query = (caller: Caller, path: string, input?: unknown) => call(caller, path, input, "query");
const mutate = (caller: Caller, path: string, input: unknown) =>
  call(caller, path, input, "mutation");

async function teamOfTwoAdmins() {
  const owner = await makeUser(t.db);
  const other = await makeUser(t.db);
  const team = await makeTeam(t.db, [
    { userId: owner.id, role: "ADMIN" },
    { userId: other.id, role: "ADMIN" },
  ]);
  const ownerToken = (await createApiToken(t.db, owner.id, { name: "owner" })).token;
  const otherToken = (await createApiToken(t.db, other.id, { name: "other" })).token;
  return { owner: bearer(ownerToken), other: bearer(otherToken), otherId: other.id, team };
}

describe("the auth cache, for changes made through the API", () => {
  it("a demotion and a removal count from the next request", async () => {
    const { owner, other, otherId, team } = await teamOfTwoAdmins();
    // Warm: the other admin's token and membership are cached now.
    expect(await query(other, "teams.invitations", { teamId: team.id })).toMatchObject({
      status: 200,
    });
    await mutate(owner, "teams.changeRole", { teamId: team.id, userId: otherId, role: "MEMBER" });
    expect(await query(other, "teams.invitations", { teamId: team.id })).toMatchObject({
      status: 403,
      code: "FORBIDDEN",
    });
    expect(await query(other, "teams.members", { teamId: team.id })).toMatchObject({
      status: 200,
    });
    await mutate(owner, "teams.removeMember", { teamId: team.id, userId: otherId });
    expect(await query(other, "teams.members", { teamId: team.id })).toMatchObject({
      status: 404,
      code: "NOT_FOUND",
    });
  });

  it("a revoked token is refused on its next call", async () => {
    const user = await makeUser(t.db);
    const { id, token } = await createApiToken(t.db, user.id, { name: "script" });
    expect(await query(bearer(token), "teams.mine")).toMatchObject({ status: 200 });
    expect(await mutate(session(user.id), "account.tokens.revoke", { tokenId: id })).toMatchObject({
      status: 200,
    });
    expect(await query(bearer(token), "teams.mine")).toMatchObject({
      status: 401,
      code: "UNAUTHORIZED",
    });
  });

  it("a password change ends older sessions and tokens on the next request", async () => {
    const user = await makeUser(t.db);
    const { token } = await createApiToken(t.db, user.id, { name: "script" });
    expect(await query(session(user.id), "teams.mine")).toMatchObject({ status: 200 });
    expect(await query(bearer(token), "teams.mine")).toMatchObject({ status: 200 });
    const changed = await mutate(session(user.id), "account.changePassword", {
      currentPassword: TEST_PASSWORD,
      newPassword: `${TEST_PASSWORD}-new`,
    });
    expect(changed.status).toBe(200);
    expect(await query(session(user.id), "teams.mine")).toMatchObject({ status: 401 });
    expect(await query(bearer(token), "teams.mine")).toMatchObject({ status: 401 });
    // The session issued after the change (version 1) works.
    expect(await query(session(user.id, 1), "teams.mine")).toMatchObject({ status: 200 });
  });
});

describe("the auth cache, for changes made by another process", () => {
  it("sees a role change, a removal and a revocation once AUTH_CACHE_TTL_MS has passed", async () => {
    const { other, otherId, team } = await teamOfTwoAdmins();
    expect(await query(other, "teams.invitations", { teamId: team.id })).toMatchObject({
      status: 200,
    });
    // Another process demotes the member: this one does not hear of it.
    await t.db.membership.update({
      where: { userId_teamId: { userId: otherId, teamId: team.id } },
      data: { role: "MEMBER" },
    });
    now += AUTH_CACHE_TTL_MS - 1;
    expect(await query(other, "teams.invitations", { teamId: team.id })).toMatchObject({
      status: 200,
    });
    now += 1;
    expect(await query(other, "teams.invitations", { teamId: team.id })).toMatchObject({
      status: 403,
    });

    await t.db.membership.delete({
      where: { userId_teamId: { userId: otherId, teamId: team.id } },
    });
    now += AUTH_CACHE_TTL_MS;
    expect(await query(other, "teams.members", { teamId: team.id })).toMatchObject({
      status: 404,
    });

    await t.db.apiToken.updateMany({ where: { userId: otherId }, data: { revokedAt: new Date() } });
    now += AUTH_CACHE_TTL_MS;
    expect(await query(other, "teams.mine")).toMatchObject({ status: 401 });
  });

  it("reads a missing membership again at once: a new member is let in on the first request", async () => {
    const { team } = await teamOfTwoAdmins();
    const newcomer = await makeUser(t.db);
    const token = (await createApiToken(t.db, newcomer.id, { name: "new" })).token;
    expect(await query(bearer(token), "teams.members", { teamId: team.id })).toMatchObject({
      status: 404,
    });
    await t.db.membership.create({
      data: { userId: newcomer.id, teamId: team.id, role: "MEMBER" },
    });
    expect(await query(bearer(token), "teams.members", { teamId: team.id })).toMatchObject({
      status: 200,
    });
  });
});

describe("cachedAuthLookup", () => {
  it("does not keep an answer whose read began before a change was forgotten", async () => {
    let release: (value: string) => void = () => {};
    const slow = cachedAuthLookup(
      t.db,
      "user",
      "race",
      () => new Promise<string>((resolve) => (release = resolve)),
    );
    // The change lands (and is forgotten) while the read is still on its way.
    forgetAuth(t.db);
    release("before the change");
    expect(await slow).toBe("before the change");
    let reads = 0;
    const fresh = await cachedAuthLookup(t.db, "user", "race", async () => {
      reads++;
      return "after the change";
    });
    expect(fresh).toBe("after the change");
    expect(reads).toBe(1);
    // ...and that fresh answer is kept.
    expect(await cachedAuthLookup(t.db, "user", "race", async () => "unread")).toBe(
      "after the change",
    );
  });
});
