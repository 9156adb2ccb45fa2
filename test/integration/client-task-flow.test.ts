// The typed client's whole flow against the real API over real HTTP (node:http serving the same
// handlers the web app mounts), with the real inference service checking the upload (moved
// from packages/client/src/client.test.ts, where the calls that need no service stay). The
// worker's part is played by the store's own queue primitives, writing a real result file.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { makeUser, makeWeight } from "@studio/api/testing";
import { createClient } from "@studio/client";
import { claimNextTask, completeItem, completeTask } from "@studio/db/queue";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, expect, it } from "vitest";
import { serviceClient, useServiceForApi } from "./api-on-service";

const png = readFileSync(fixturePath("chelsea.png"));

// The test service builds its task worker without starting it: the test plays the worker.
const svc = useServiceForApi();
let server: Awaited<ReturnType<typeof serveNode>>;
let token: string;

beforeAll(async () => {
  const user = await makeUser(svc.db);
  ({ token } = await createApiToken(svc.db, user.id, { name: "test" }));
  server = await serveNode(createApiHandler({ db: svc.db, inference: serviceClient(svc) }));
});
afterAll(async () => {
  await server?.close();
});

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
  // Thumbnails are made by the inference service: client-upscale.test.ts.

  const weight = await makeWeight(svc.db, { teamId });
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
    const claimed = await claimNextTask(svc.db, { workerId: "w", leaseMs: 60_000 });
    const item = await svc.db.taskItem.findFirstOrThrow({ where: { taskId } });
    const rel = `results/${taskId}/0000-a1.png`;
    mkdirSync(path.join(svc.dataDir, "results", taskId), { recursive: true });
    copyFileSync(fixturePath("chelsea.png"), path.join(svc.dataDir, rel));
    await completeItem(svc.db, {
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
    await completeTask(svc.db, { taskId, workerId: "w" });
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

  // The server-made report, through the same token.
  const pdf = Buffer.from(await client.downloadReportPdf({ taskId, locale: "zh-CN" }));
  expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
});
