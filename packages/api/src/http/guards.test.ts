// The HTTP guards over real HTTP (createApiHandler on node:http, a real SQLite store): cross-site
// requests carrying the session cookie, request limits, security headers and malformed input.

import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../auth/tokens";
import { formatBytes } from "../storage/files";
import { makeUser, type TestUser, testDb } from "../test-helpers";
import { useTempDataDir } from "./files/test-context";
import { createApiHandler, serveNode } from "./handler";
import { TRPC_MAX_BATCH_SIZE, TRPC_MAX_BODY_BYTES } from "./limits";

const APP = "http://studio.test";
const png = readFileSync(fixturePath("chelsea.png"));

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
let server: Awaited<ReturnType<typeof serveNode>>;
let alice: TestUser;
let token: string;

beforeAll(async () => {
  data = useTempDataDir({ NEXTAUTH_URL: `${APP}/` });
  t = await testDb();
  alice = await makeUser(t.db);
  ({ token } = await createApiToken(t.db, alice.id, { name: "cli" }));
  // Stands in for next-auth: the cookie names the signed-in user, as the real session cookie would.
  const handler = createApiHandler({
    db: t.db,
    getSession: async (request) => {
      const id = /studio-session=([^;]+)/.exec(request.headers.get("cookie") ?? "")?.[1];
      return id ? { user: { id } } : null;
    },
  });
  server = await serveNode(handler);
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
  data.cleanup();
});

const cookie = () => ({ cookie: `studio-session=${alice.id}` });
const datasets = () => t.db.dataset.count({ where: { teamId: alice.personalTeamId } });
const images = () => t.db.image.count({ where: { teamId: alice.personalTeamId } });

/** One datasets.create call as the tRPC client batches it. */
function createDataset(headers: Record<string, string>, body?: string) {
  return fetch(`${server.url}/api/trpc/datasets.create?batch=1`, {
    method: "POST",
    headers,
    body:
      body ??
      JSON.stringify({
        0: { json: { teamId: alice.personalTeamId, name: `ds ${Math.random()}` } },
      }),
  });
}

function uploadImage(headers: Record<string, string>, body: RequestInit["body"] = png) {
  return fetch(`${server.url}/api/files/images?teamId=${alice.personalTeamId}&name=cat.png`, {
    method: "POST",
    headers,
    body,
  });
}

type TrpcError = {
  error: {
    json: { message: string; data: { code: string; appCode: string; httpStatus: number } };
  };
};
async function trpcErrors(response: Response): Promise<TrpcError["error"]["json"][]> {
  const body = (await response.json()) as TrpcError | TrpcError[];
  return (Array.isArray(body) ? body : [body]).map((item) => item.error.json);
}

describe("cross-site requests", () => {
  it("refuses a cross-origin text/plain upload carrying the session cookie, and stores nothing", async () => {
    const before = await images();
    const files = data.files().length;
    for (const route of ["images", "archives", "weights"]) {
      const response = await fetch(
        `${server.url}/api/files/${route}?teamId=${alice.personalTeamId}&name=x&taskKind=segmentation&version=1&family=f`,
        {
          method: "POST",
          headers: { ...cookie(), origin: "http://localhost:4444", "content-type": "text/plain" },
          body: png,
        },
      );
      expect(response.status, route).toBe(403);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("cross_site_request");
      expect(body.error.message).toContain("http://localhost:4444");
      expect(body.error.message).toContain(APP);
    }
    expect(await images()).toBe(before);
    expect(await t.db.weight.count({ where: { teamId: alice.personalTeamId } })).toBe(0);
    expect(data.files().length).toBe(files);
  });

  it("refuses cross-origin tRPC mutations with the cookie, whatever their content type", async () => {
    const before = await datasets();
    for (const contentType of ["text/plain", "application/json"]) {
      const response = await createDataset({
        ...cookie(),
        origin: "http://localhost:4444",
        "content-type": contentType,
      });
      expect(response.status, contentType).toBe(403);
      const [error] = await trpcErrors(response);
      expect(error?.data.code).toBe("FORBIDDEN");
      // The same code as the file routes answer for the same refusal.
      expect(error?.data.appCode).toBe("cross_site_request");
      expect(error?.message).toContain("another site");
    }
    expect(await datasets()).toBe(before);
  });

  it("accepts the app's own origin, and Sec-Fetch-Site or Referer when Origin is missing", async () => {
    const before = await datasets();
    const json = { ...cookie(), "content-type": "application/json" };
    expect((await createDataset({ ...json, origin: APP })).status).toBe(200);
    expect((await createDataset({ ...json, "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect((await createDataset({ ...json, referer: `${APP}/datasets` })).status).toBe(200);
    // An image upload stored from the app's own origin needs the inference service's decode:
    // test/integration/upload-guards.test.ts.
    expect(await datasets()).toBe(before + 3);
  });

  it("refuses cookie requests that do not show they come from the app", async () => {
    const before = await datasets();
    const json = { ...cookie(), "content-type": "application/json" };
    const refused: Array<Record<string, string>> = [
      {}, // no Origin, Sec-Fetch-Site or Referer at all
      { origin: "null" },
      { origin: `${APP}:8080` },
      { "sec-fetch-site": "same-site" }, // another port of the same host
      { "sec-fetch-site": "cross-site" },
      { referer: "http://localhost:4444/attack.html" },
    ];
    for (const headers of refused) {
      const response = await createDataset({ ...json, ...headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
    }
    const upload = await uploadImage(cookie());
    expect(upload.status).toBe(403);
    expect(((await upload.json()) as { error: { message: string } }).error.message).toContain(
      "does not say which site",
    );
    expect(await datasets()).toBe(before);
  });

  it("lets API-token clients call from anywhere", async () => {
    const before = await datasets();
    const bearer = { authorization: `Bearer ${token}`, origin: "http://localhost:4444" };
    expect((await createDataset({ ...bearer, "content-type": "application/json" })).status).toBe(
      200,
    );
    // Token uploads from anywhere: test/integration/upload-guards.test.ts.
    // With a token the cookie is ignored: a bad token is anonymous, not the cookie's user.
    const bad = await createDataset({
      ...cookie(),
      authorization: "Bearer vs_wrong",
      origin: "http://localhost:4444",
      "content-type": "application/json",
    });
    expect(bad.status).toBe(401);
    expect(await datasets()).toBe(before + 1);
  });

  it("reads (GET) stay open to the cookie without an Origin", async () => {
    const input = encodeURIComponent(JSON.stringify({ json: { teamId: alice.personalTeamId } }));
    const response = await fetch(`${server.url}/api/trpc/datasets.list?input=${input}`, {
      headers: cookie(),
    });
    expect(response.status).toBe(200);
  });
});

describe("tRPC content types and limits", () => {
  it("accepts mutations only as JSON", async () => {
    const before = await datasets();
    const form = new FormData();
    form.set("teamId", alice.personalTeamId);
    form.set("name", "from a form");
    const multipart = await fetch(`${server.url}/api/trpc/datasets.create`, {
      method: "POST",
      headers: { ...cookie(), origin: APP },
      body: form,
    });
    expect(multipart.status).toBe(415);
    const [error] = await trpcErrors(multipart);
    expect(error?.message).toContain("application/json");
    const text = await createDataset({ ...cookie(), origin: APP, "content-type": "text/plain" });
    expect(text.status).toBe(415);
    const none = await fetch(`${server.url}/api/trpc/datasets.create`, {
      method: "POST",
      headers: { ...cookie(), origin: APP },
    });
    expect(none.status).toBe(415);
    expect(await datasets()).toBe(before);
  });

  it(`refuses a batch of more than ${TRPC_MAX_BATCH_SIZE} calls and runs none of them`, async () => {
    const before = await datasets();
    const send = (n: number) => {
      const inputs = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          i,
          { json: { teamId: alice.personalTeamId, name: `batch ${n} ${i}` } },
        ]),
      );
      const paths = Array.from({ length: n }, () => "datasets.create").join(",");
      return fetch(`${server.url}/api/trpc/${paths}?batch=1`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(inputs),
      });
    };
    const tooMany = await send(TRPC_MAX_BATCH_SIZE + 1);
    expect(tooMany.status).toBe(400);
    const errors = await trpcErrors(tooMany);
    expect(errors).toHaveLength(TRPC_MAX_BATCH_SIZE + 1);
    expect(errors[0]?.data.code).toBe("BAD_REQUEST");
    expect(errors[0]?.message).toContain(`at most ${TRPC_MAX_BATCH_SIZE}`);
    expect(await datasets()).toBe(before);

    // Queries too, and commas hidden in URL-encoding count.
    const queries = await fetch(
      `${server.url}/api/trpc/${Array.from({ length: 200 }, () => "auth.me").join("%2C")}?batch=1`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(queries.status).toBe(400);

    expect((await send(TRPC_MAX_BATCH_SIZE)).status).toBe(200);
    expect(await datasets()).toBe(before + TRPC_MAX_BATCH_SIZE);
  });

  it("refuses a body over the limit with 413, declared or streamed", async () => {
    const before = await datasets();
    const big = JSON.stringify({
      0: { json: { teamId: alice.personalTeamId, name: "x".repeat(2 * 1024 * 1024) } },
    });
    const declared = await createDataset(
      { authorization: `Bearer ${token}`, "content-type": "application/json" },
      big,
    );
    expect(declared.status).toBe(413);
    const [error] = await trpcErrors(declared);
    expect(error?.data.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error?.data.appCode).toBe("payload_too_large");
    expect(error?.message).toContain(formatBytes(TRPC_MAX_BODY_BYTES));

    // Without Content-Length the body is counted as it arrives.
    const bytes = new TextEncoder().encode(big);
    const streamed = await fetch(`${server.url}/api/trpc/datasets.create?batch=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 64 * 1024) {
            controller.enqueue(bytes.subarray(i, i + 64 * 1024));
          }
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await datasets()).toBe(before);
  });
});

describe("malformed input", () => {
  const bearer = { authorization: `Bearer ${token}`, "content-type": "application/json" };

  it("refuses a malformed superjson meta with a clear 400 instead of recursing", async () => {
    const before = await datasets();
    const json = { teamId: alice.personalTeamId, name: "meta" };
    const metas: unknown[] = [
      { values: "garbage" },
      { values: { name: "garbage" } },
      { values: { name: ["no-such-type"] } },
      { values: [["map"], "x"] },
      { referentialEqualities: "x" },
      { v: "one" },
      "garbage",
    ];
    for (const meta of metas) {
      const response = await createDataset(
        { ...bearer, authorization: `Bearer ${token}` },
        JSON.stringify({ 0: { json, meta } }),
      );
      expect(response.status, JSON.stringify(meta)).toBe(400);
      const [error] = await trpcErrors(response);
      expect(error?.message).toMatch(/^Malformed request input: /);
      expect(error?.message).not.toContain("call stack");
    }
    expect(await datasets()).toBe(before);
  });

  it("refuses deep nesting without crashing and keeps serving", async () => {
    const depth = 100_000;
    const deepJson = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const deepMeta = `${'{"a":["undefined",'.repeat(5_000)}{}${"]}".repeat(5_000)}`;
    for (const body of [
      `{"0":{"json":{"teamId":"${alice.personalTeamId}","name":${deepJson}}}}`,
      `{"0":{"json":{"teamId":"${alice.personalTeamId}"},"meta":{"values":${deepMeta}}}}`,
    ]) {
      const response = await createDataset({ ...bearer, authorization: `Bearer ${token}` }, body);
      expect(response.status).toBe(400);
      const [error] = await trpcErrors(response);
      expect(error?.message).toContain("nested deeper than");
    }
    const me = await fetch(`${server.url}/api/trpc/auth.me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);
  });

  it("still accepts what superjson writes (dates, undefined, maps)", async () => {
    const superjson = (await import("superjson")).default;
    const input = superjson.serialize({
      teamId: alice.personalTeamId,
      name: "annotated",
      description: undefined,
    });
    const response = await createDataset(
      { ...bearer, authorization: `Bearer ${token}` },
      JSON.stringify({ 0: input }),
    );
    expect(response.status).toBe(200);
  });
});

describe("response headers", () => {
  it("marks every API response nosniff and unframeable", async () => {
    const responses = [
      await fetch(`${server.url}/api/trpc/auth.me`),
      await createDataset({ ...cookie(), origin: "http://localhost:4444" }),
      // Refused by the route itself, before any decode (a stored upload's answer:
      // test/integration/upload-guards.test.ts).
      await uploadImage({ ...cookie(), origin: APP }, "<!doctype html>"),
      await fetch(`${server.url}/api/files/download?type=image&teamId=x&id=y`),
      await fetch(`${server.url}/api/nothing`),
    ];
    for (const response of responses) {
      expect(response.headers.get("x-content-type-options"), response.url).toBe("nosniff");
      expect(response.headers.get("content-security-policy"), response.url).toContain(
        "frame-ancestors 'none'",
      );
      expect(response.headers.get("x-frame-options"), response.url).toBe("DENY");
    }
  });
});

describe("serveNode", () => {
  it("passes the connection's address as x-studio-client-address, never the client's own", async () => {
    const echo = await serveNode(
      async (request) => new Response(request.headers.get("x-studio-client-address")),
    );
    try {
      const seen = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          `${echo.url}/`,
          { headers: { "x-studio-client-address": "203.0.113.9" } },
          (res) => {
            let text = "";
            res.on("data", (chunk) => {
              text += chunk;
            });
            res.on("end", () => resolve(text));
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(seen).toBe("127.0.0.1");
    } finally {
      await echo.close();
    }
  });
});
