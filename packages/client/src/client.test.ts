// The typed client against the real API over real HTTP (node:http serving the same handlers
// the web app mounts), authenticated with an API token. The worker's part is played by the
// store's own queue primitives, writing a real result file.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createApiToken, revokeApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { TRPC_MAX_BATCH_SIZE } from "@studio/api/http/limits";
import { makeUser, makeWeight, type TestStore, testStore } from "@studio/api/testing";
import { claimNextTask, completeItem, completeTask } from "@studio/db/queue";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, FileRouteError, TRPCClientError } from "./index";

const png = readFileSync(fixturePath("chelsea.png"));

let t: TestStore;
let server: Awaited<ReturnType<typeof serveNode>>;
let token: string;
let tokenId: string;
let userId: string;

beforeAll(async () => {
  t = await testStore();
  const user = await makeUser(t.db);
  userId = user.id;
  ({ token, id: tokenId } = await createApiToken(t.db, user.id, { name: "test" }));
  server = await serveNode(createApiHandler({ db: t.db }));
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
});

describe("@studio/client", () => {
  it("uploads an image, queues a task, waits for it, and downloads the result", async () => {
    // Records which tRPC procedures go over the wire, so the polling cost can be checked.
    const procedures: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const [, names] = url.pathname.split("/api/trpc/");
      if (names) procedures.push(...decodeURIComponent(names).split(","));
      return fetch(input, init);
    };
    const client = createClient({ url: server.url, token, fetch: recordingFetch });
    const me = await client.trpc.auth.me.query();
    expect(me.via).toBe("token");
    const teamId = await client.team();
    expect(teamId).toBe(me.teams[0]?.id);

    const image = await client.uploadImage({ data: png, name: "cat.png" });
    expect(image).toMatchObject({ width: 451, height: 300, format: "png" });
    expect(Buffer.from(await client.downloadImage({ imageId: image.id })).equals(png)).toBe(true);
    // Thumbnails are made by the inference service: test/integration/client-upscale.test.ts.

    const weight = await makeWeight(t.db, { teamId });
    const { id: taskId } = await client.trpc.tasks.create.mutate({
      teamId,
      weightId: weight.id,
      target: { type: "image", imageId: image.id },
      params: { tile: 128 },
      idempotencyKey: "example-1",
    });

    // A worker finishes the task a little later.
    const worker = (async () => {
      await new Promise((r) => setTimeout(r, 700));
      const claimed = await claimNextTask(t.db, { workerId: "w", leaseMs: 60_000 });
      const item = await t.db.taskItem.findFirstOrThrow({ where: { taskId } });
      const rel = `results/${taskId}/0000-a1.png`;
      mkdirSync(path.join(t.dataDir, "results", taskId), { recursive: true });
      copyFileSync(fixturePath("chelsea.png"), path.join(t.dataDir, rel));
      await completeItem(t.db, {
        taskId,
        itemId: item.id,
        workerId: "w",
        result: {
          path: rel,
          sha256: "a".repeat(64),
          bytes: png.length,
          device: "cpu",
          paramSignature: claimed?.paramSignature ?? "",
        },
      });
      await completeTask(t.db, { taskId, workerId: "w" });
    })();
    const seen: string[] = [];
    const done = await client.waitForTask(taskId, {
      intervalMs: 100,
      onProgress: (task) => seen.push(task.status),
    });
    await worker;
    expect(done.status).toBe("succeeded");
    expect(seen[0]).toBe("queued");
    expect(seen.at(-1)).toBe("succeeded");
    // Polls read the cheap status; the items are fetched once, when the task is final.
    const polls = procedures.filter((p) => p === "tasks.status").length;
    expect(polls).toBe(seen.length);
    expect(polls).toBeGreaterThan(1);
    expect(procedures.filter((p) => p === "tasks.get")).toHaveLength(1);
    expect(procedures.at(-1)).toBe("tasks.get");
    expect(done.items).toHaveLength(1);
    const result = await client.downloadResult({ taskId, itemId: done.items[0]?.id as string });
    expect(Buffer.from(result).equals(png)).toBe(true);

    const zip = Buffer.from(
      await new Response(await client.downloadTaskZip({ taskId })).arrayBuffer(),
    );
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    expect(zip.includes(png.subarray(0, 64))).toBe(true);
  });

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
