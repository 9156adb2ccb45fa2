// The typed client against the real API over real HTTP (node:http serving the same handlers
// the web app mounts), authenticated with an API token. Its whole flow (an upload, which the
// inference service checks, a task, the downloads) runs with the real service in
// test/integration/client-task-flow.test.ts.
import { readFileSync } from "node:fs";
import { createApiToken, revokeApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { TRPC_MAX_BATCH_SIZE } from "@studio/api/http/limits";
import { makeImage, makeUser, makeWeight, useTestStore } from "@studio/api/testing";
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

  it("polls a task's items with getTask, fetching the task only when it changed", async () => {
    const polls: string[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes("tasks.getIfChanged")) polls.push(await response.clone().text());
      return response;
    };
    const { token: own } = await createApiToken(t.db, userId, { name: "polling" });
    const client = createClient({ url: server.url, token: own, fetch: recordingFetch });
    const teamId = (await client.trpc.auth.me.query()).teams[0]?.id as string;
    const weight = await makeWeight(t.db, { teamId });
    const image = await makeImage(t.db, teamId, userId, "polled.png");
    const { id: taskId } = await client.trpc.tasks.create.mutate({
      teamId,
      weightId: weight.id,
      target: { type: "image", imageId: image.id },
      params: {},
    });

    const first = await client.getTask(taskId, { teamId });
    expect(first).toEqual(await client.trpc.tasks.get.query({ teamId, taskId }));
    const again = await client.getTask(taskId, { teamId, previous: first });
    expect(again).toBe(first);
    // The second poll's whole answer (a batch of one): a few bytes, not the task again.
    expect(JSON.parse(polls[1] as string)).toEqual([
      { result: { data: { json: { unchanged: true, version: first.version } } } },
    ]);

    await client.trpc.tasks.rename.mutate({ teamId, taskId, name: "renamed" });
    const renamed = await client.getTask(taskId, { teamId, previous: again });
    expect(renamed).not.toBe(first);
    expect(renamed).toMatchObject({ id: taskId, name: "renamed", items: [{ status: "queued" }] });
    expect(renamed.version).not.toBe(first.version);
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
