// The typed client against the real API over real HTTP (node:http serving the same handlers
// the web app mounts), authenticated with an API token. Its whole flow (an upload, which the
// inference service checks, a task, the downloads) runs with the real service in
// test/integration/client-task-flow.test.ts.
import { readFileSync } from "node:fs";
import { createApiToken, revokeApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { TRPC_MAX_BATCH_SIZE } from "@studio/api/http/limits";
import { makeUser, useTestStore } from "@studio/api/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, FileRouteError, TRPCClientError } from "./index";

const png = readFileSync(fixturePath("chelsea.png"));

const t = useTestStore();
let server: Awaited<ReturnType<typeof serveNode>>;
let token: string;
let tokenId: string;
let userId: string;

beforeAll(async () => {
  const user = await makeUser(t.db);
  userId = user.id;
  ({ token, id: tokenId } = await createApiToken(t.db, user.id, { name: "test" }));
  server = await serveNode(createApiHandler({ db: t.db }));
});
afterAll(async () => {
  await server.close();
});

describe("@studio/client", () => {
  it("splits many calls at once into batches the server accepts", async () => {
    let requests = 0;
    const countingFetch: typeof fetch = (input, init) => {
      requests += 1;
      return fetch(input, init);
    };
    const client = createClient({ url: server.url, token, fetch: countingFetch });
    const calls = TRPC_MAX_BATCH_SIZE * 2 + 1;
    const answers = await Promise.all(
      Array.from({ length: calls }, () => client.trpc.auth.me.query()),
    );
    expect(answers.every((me) => me.id === userId)).toBe(true);
    expect(requests).toBe(3);
  });

  it("reports file-route errors with their code, and refuses a revoked token", async () => {
    const client = createClient({ url: server.url, token });
    const error = await client
      .uploadImage({ data: new TextEncoder().encode("<html></html>"), name: "x.png" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileRouteError);
    expect(error).toMatchObject({ status: 415, code: "unsupported_format" });

    await revokeApiToken(t.db, userId, tokenId);
    const revoked = createClient({ url: server.url, token });
    const denied = await revoked.trpc.auth.me.query().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(TRPCClientError);
    expect((denied as { data?: { code?: string } }).data?.code).toBe("UNAUTHORIZED");
    // The same stable code over tRPC and over a file route.
    expect((denied as { data?: { appCode?: string } }).data?.appCode).toBe("unauthorized");
    await expect(
      revoked.uploadImage({ data: png, name: "a.png", teamId: "x" }),
    ).rejects.toMatchObject({ status: 401, code: "unauthorized" });
  });
});
