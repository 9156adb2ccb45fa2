// The HTTP guards on image uploads that are stored, over real HTTP (createApiHandler on
// node:http) with the real inference service decoding them (moved from
// packages/api/src/http/guards.test.ts, where every refusal made before the decode stays).
import { readFileSync } from "node:fs";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { makeUser, type TestUser } from "@studio/api/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceClient, useServiceForApi } from "./api-on-service";

const APP = "http://studio.test";
const png = readFileSync(fixturePath("chelsea.png"));

const svc = useServiceForApi({ apiEnv: { NEXTAUTH_URL: `${APP}/` } });
let server: Awaited<ReturnType<typeof serveNode>>;
let alice: TestUser;
let token: string;

beforeAll(async () => {
  alice = await makeUser(svc.db);
  ({ token } = await createApiToken(svc.db, alice.id, { name: "cli" }));
  // Stands in for next-auth: the cookie names the signed-in user, as the real session cookie would.
  const handler = createApiHandler({
    db: svc.db,
    inference: serviceClient(svc),
    getSession: async (request) => {
      const id = /studio-session=([^;]+)/.exec(request.headers.get("cookie") ?? "")?.[1];
      return id ? { user: { id } } : null;
    },
  });
  server = await serveNode(handler);
});
afterAll(async () => {
  await server?.close();
});

const cookie = () => ({ cookie: `studio-session=${alice.id}` });
const images = () => svc.db.image.count({ where: { teamId: alice.personalTeamId } });

function uploadImage(headers: Record<string, string>) {
  return fetch(`${server.url}/api/files/images?teamId=${alice.personalTeamId}&name=cat.png`, {
    method: "POST",
    headers,
    body: png,
  });
}

describe("stored image uploads over HTTP", () => {
  it("are accepted from the app's own origin with the session cookie", async () => {
    const before = await images();
    expect((await uploadImage({ ...cookie(), origin: APP })).status).toBe(201);
    expect(await images()).toBe(before + 1);
  });

  it("are accepted from anywhere with an API token", async () => {
    const before = await images();
    const bearer = { authorization: `Bearer ${token}`, origin: "http://localhost:4444" };
    expect((await uploadImage(bearer)).status).toBe(201);
    expect(await images()).toBe(before + 1);
  });

  it("answer nosniff and unframeable", async () => {
    const response = await uploadImage({ ...cookie(), origin: APP });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
  });
});
